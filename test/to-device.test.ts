/**
 * Send-to-device messaging over HTTP: PUT /sendToDevice queues per device (one device or `*`), idempotent per
 * transaction ID; /sync delivers the queue in order, at most 100 per response, and deletes messages only once the
 * client syncs past them; bad input stores nothing; matrix-js-sdk's sendToDevice/queueToDevice reach another client.
 * https://spec.matrix.org/v1.19/client-server-api/#send-to-device-messaging
 */
import { expect, it } from 'vitest';
import { ClientEvent, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { createSdkClient, stopClient, waitForSync } from './support/clients.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';
import { api, ok, sync, type Json } from './sync-helpers.js';

const MAX_BODY = 64 * 1024;
let txnCounter = 0;

function freshTxn(): string {
  txnCounter += 1;
  return `txn-${Date.now()}-${txnCounter}`;
}

function sendToDevice(server: TestHomeserver, sender: TestUser, type: string, messages: unknown, txnId = freshTxn()) {
  return api(server, 'PUT', `/sendToDevice/${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`, sender, { messages });
}

function toDeviceEvents(body: Json): Json[] {
  return (body.to_device as { events: Json[] }).events;
}

/** Logs `user` in on another device (with `deviceId` when given). */
async function loginDevice(server: TestHomeserver, user: TestUser, deviceId?: string): Promise<TestUser> {
  const body = await ok(
    api(server, 'POST', '/login', undefined, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: user.userId },
      password: user.password,
      ...(deviceId === undefined ? {} : { device_id: deviceId }),
    }),
    'login',
  );
  return { ...user, accessToken: body.access_token as string, deviceId: body.device_id as string };
}

async function users(server: TestHomeserver): Promise<{ alice: TestUser; bob: TestUser }> {
  return { alice: await registerUser(server, uniqueLocalpart('alice')), bob: await registerUser(server, uniqueLocalpart('bob')) };
}

/** Resolves with the first to-device event of `type` the client emits. */
function nextToDevice(client: MatrixClient, type: string, timeoutMs = 15_000): Promise<MatrixEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(ClientEvent.ToDeviceEvent, onEvent);
      reject(new Error(`no to-device event ${type}`));
    }, timeoutMs);
    const onEvent = (event: MatrixEvent) => {
      if (event.getType() !== type) return;
      clearTimeout(timer);
      client.off(ClientEvent.ToDeviceEvent, onEvent);
      resolve(event);
    };
    client.on(ClientEvent.ToDeviceEvent, onEvent);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

forEachDialect(
  'send-to-device',
  (server) => {
    it('delivers to the named device only, with sender, type and content', async () => {
      const { alice, bob } = await users(server());
      const bobPhone = await loginDevice(server(), bob);
      const sent = await sendToDevice(server(), alice, 'm.test.ping', { [bob.userId]: { [bob.deviceId]: { n: 1, nested: { ok: true } } } });
      expect(sent).toEqual({ status: 200, body: {} });

      expect(toDeviceEvents(await sync(server(), bob))).toEqual([{ sender: alice.userId, type: 'm.test.ping', content: { n: 1, nested: { ok: true } } }]);
      expect(toDeviceEvents(await sync(server(), bobPhone))).toEqual([]);
    });

    it('expands * to every device of the user at send time; an explicit device ID wins over *', async () => {
      const { alice, bob } = await users(server());
      const bobPhone = await loginDevice(server(), bob);
      await ok(sendToDevice(server(), alice, 'm.test.all', { [bob.userId]: { '*': { to: 'all' } } }), 'send *');
      await ok(sendToDevice(server(), alice, 'm.test.mixed', { [bob.userId]: { '*': { to: 'all' }, [bobPhone.deviceId]: { to: 'phone' } } }), 'send mixed');
      // A device created after the send gets nothing: * means the devices known then.
      const bobLater = await loginDevice(server(), bob);

      const contents = (user: TestUser) => sync(server(), user).then((body) => toDeviceEvents(body).map((event) => [event.type, event.content]));
      expect(await contents(bob)).toEqual([['m.test.all', { to: 'all' }], ['m.test.mixed', { to: 'all' }]]);
      expect(await contents(bobPhone)).toEqual([['m.test.all', { to: 'all' }], ['m.test.mixed', { to: 'phone' }]]);
      expect(await contents(bobLater)).toEqual([]);
    });

    it('queues nothing new for a retried transaction ID of the same device; other devices have their own IDs', async () => {
      const { alice, bob } = await users(server());
      const alicePhone = await loginDevice(server(), alice);
      const messages = { [bob.userId]: { [bob.deviceId]: { attempt: 1 } } };
      await ok(sendToDevice(server(), alice, 'm.test', messages, 'same-txn'), 'first');
      expect(await sendToDevice(server(), alice, 'm.test', messages, 'same-txn')).toEqual({ status: 200, body: {} });
      await ok(sendToDevice(server(), alicePhone, 'm.test', { [bob.userId]: { [bob.deviceId]: { attempt: 2 } } }, 'same-txn'), 'other device');

      const events = toDeviceEvents(await sync(server(), bob));
      expect(events.map((event) => [event.sender, event.content])).toEqual([
        [alice.userId, { attempt: 1 }],
        [alice.userId, { attempt: 2 }],
      ]);
    });

    it('re-delivers until the client syncs with a later since, then deletes', async () => {
      const { alice, bob } = await users(server());
      const start = (await sync(server(), bob)).next_batch as string;
      await ok(sendToDevice(server(), alice, 'm.test', { [bob.userId]: { [bob.deviceId]: { n: 1 } } }), 'send');

      const first = await sync(server(), bob, { since: start });
      expect(toDeviceEvents(first).map((event) => event.content)).toEqual([{ n: 1 }]);
      // The response was lost: the same since gets the message again.
      const again = await sync(server(), bob, { since: start });
      expect(toDeviceEvents(again).map((event) => event.content)).toEqual([{ n: 1 }]);
      expect(again.next_batch).toBe(first.next_batch);
      // Syncing past it acknowledges it: gone, even for the old token.
      const after = await sync(server(), bob, { since: first.next_batch as string });
      expect(toDeviceEvents(after)).toEqual([]);
      expect(toDeviceEvents(await sync(server(), bob, { since: start }))).toEqual([]);
      expect(toDeviceEvents(await sync(server(), bob))).toEqual([]);
    });

    it('sends at most 100 per response, in order, and the rest in the next', async () => {
      const { alice, bob } = await users(server());
      for (let n = 0; n < 130; n += 1) await ok(sendToDevice(server(), alice, 'm.test.seq', { [bob.userId]: { [bob.deviceId]: { n } } }), `send ${n}`);
      const first = await sync(server(), bob);
      expect(toDeviceEvents(first).map((event) => (event.content as Json).n)).toEqual(Array.from({ length: 100 }, (_, n) => n));
      const second = await sync(server(), bob, { since: first.next_batch as string });
      expect(toDeviceEvents(second).map((event) => (event.content as Json).n)).toEqual(Array.from({ length: 30 }, (_, n) => 100 + n));
      const third = await sync(server(), bob, { since: second.next_batch as string });
      expect(toDeviceEvents(third)).toEqual([]);
    });

    it('wakes a long-polling sync when a message arrives for its device', async () => {
      const { alice, bob } = await users(server());
      const since = (await sync(server(), bob)).next_batch as string;
      const started = performance.now();
      const waiting = sync(server(), bob, { since, timeout: 10_000 });
      await sleep(300);
      await ok(sendToDevice(server(), alice, 'm.test.wake', { [bob.userId]: { [bob.deviceId]: {} } }), 'send');
      const body = await waiting;
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(5_000);
      expect(toDeviceEvents(body).map((event) => event.type)).toEqual(['m.test.wake']);
    });

    it('ignores unknown local devices and remote users, still delivering to the rest', async () => {
      const { alice, bob } = await users(server());
      const sent = await sendToDevice(server(), alice, 'm.test', {
        [bob.userId]: { NOSUCHDEVICE: { lost: true }, [bob.deviceId]: { found: true } },
        '@someone:remote.example': { '*': { remote: true } },
        [`@${uniqueLocalpart('nobody')}:${server().serverName}`]: { '*': { nobody: true } },
      });
      expect(sent).toEqual({ status: 200, body: {} });
      expect(toDeviceEvents(await sync(server(), bob)).map((event) => event.content)).toEqual([{ found: true }]);
    });

    it("deletes a device's queue with the device", async () => {
      const { alice, bob } = await users(server());
      const phone = await loginDevice(server(), bob);
      await ok(sendToDevice(server(), alice, 'm.test', { [bob.userId]: { [phone.deviceId]: { old: true } } }), 'send');
      const challenge = await api(server(), 'DELETE', `/devices/${encodeURIComponent(phone.deviceId)}`, bob, {});
      expect(challenge.status).toBe(401);
      const auth = { type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: bob.password, session: challenge.body.session };
      await ok(api(server(), 'DELETE', `/devices/${encodeURIComponent(phone.deviceId)}`, bob, { auth }), 'delete device');
      // Logging in again with the same device ID creates a new device: it must not get the old one's messages.
      const again = await loginDevice(server(), bob, phone.deviceId);
      expect(again.deviceId).toBe(phone.deviceId);
      expect(toDeviceEvents(await sync(server(), again))).toEqual([]);
    });

    it('rejects bad input with the right error and stores nothing', async () => {
      const { alice, bob } = await users(server());
      const target = (content: unknown) => ({ [bob.userId]: { [bob.deviceId]: content } });
      const txnId = freshTxn();
      const path = `/sendToDevice/m.test/${txnId}`;
      const cases: [string, unknown, number, string][] = [
        ['content a string', { messages: target('text') }, 400, 'M_BAD_JSON'],
        ['content an array', { messages: target([1]) }, 400, 'M_BAD_JSON'],
        ['content null', { messages: target(null) }, 400, 'M_BAD_JSON'],
        ['one good, one bad', { messages: { ...target({ good: true }), [alice.userId]: { [alice.deviceId]: 5 } } }, 400, 'M_BAD_JSON'],
        ['devices not an object', { messages: { [bob.userId]: 'x' } }, 400, 'M_BAD_JSON'],
        ['messages not an object', { messages: [] }, 400, 'M_BAD_JSON'],
        ['messages missing', {}, 400, 'M_MISSING_PARAM'],
        ['key not a user ID', { messages: { ...target({ good: true }), 'not-a-user': { X: {} } } }, 400, 'M_BAD_JSON'],
        ['malformed JSON', '{"messages": {', 400, 'M_NOT_JSON'],
        ['oversize', { messages: target({ pad: 'x'.repeat(MAX_BODY) }) }, 413, 'M_TOO_LARGE'],
      ];
      for (const [what, body, status, errcode] of cases) {
        const answer = await api(server(), 'PUT', path, alice, body);
        expect({ what, status: answer.status, errcode: answer.body.errcode }).toEqual({ what, status, errcode });
      }
      expect(toDeviceEvents(await sync(server(), bob))).toEqual([]);
      // None of the failures used up the transaction ID.
      await ok(sendToDevice(server(), alice, 'm.test', target({ finally: true }), txnId), 'good send');
      expect(toDeviceEvents(await sync(server(), bob)).map((event) => event.content)).toEqual([{ finally: true }]);
    });

    it('requires an access token', async () => {
      const { bob } = await users(server());
      const answer = await api(server(), 'PUT', `/sendToDevice/m.test/${freshTxn()}`, undefined, { messages: { [bob.userId]: { '*': {} } } });
      expect(answer).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } });
    });

    it('matrix-js-sdk sendToDevice and queueToDevice reach the other client as ClientEvent.ToDeviceEvent', async () => {
      const { alice, bob } = await users(server());
      const sender = createSdkClient(server(), alice);
      const receiver = createSdkClient(server(), bob);
      try {
        await Promise.all([sender.startClient({ initialSyncLimit: 1 }), receiver.startClient({ initialSyncLimit: 1 })]);
        await Promise.all([waitForSync(sender), waitForSync(receiver)]);

        const direct = nextToDevice(receiver, 'org.parley.test.direct');
        await sender.sendToDevice('org.parley.test.direct', new Map([[bob.userId, new Map([[bob.deviceId, { hello: 'bob' }]])]]));
        const event = await direct;
        expect([event.getSender(), event.getContent()]).toEqual([alice.userId, { hello: 'bob' }]);

        const queued = nextToDevice(receiver, 'org.parley.test.queued');
        await sender.queueToDevice({ eventType: 'org.parley.test.queued', batch: [{ userId: bob.userId, deviceId: '*', payload: { via: 'queue' } }] });
        const queuedEvent = await queued;
        expect([queuedEvent.getSender(), queuedEvent.getContent()]).toEqual([alice.userId, { via: 'queue' }]);
      } finally {
        stopClient(sender);
        stopClient(receiver);
      }
    });
  },
  { config: { max_request_body_bytes: MAX_BODY } },
);
