/**
 * End-to-end encryption with matrix-js-sdk 37.5.0 and its Rust crypto (unmodified): both clients upload their keys
 * on start, Alice creates an encrypted DM with Bob, sends a message, and Bob decrypts it. This exercises
 * /keys/upload, /keys/query, /keys/claim, device_lists and key counts in /sync, and to-device delivery.
 */
import { EventType, MatrixEventEvent, MsgType, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { afterEach, expect, it } from 'vitest';
import { createSdkClient, initRustCryptoQuietly, stopClient, waitForSync } from './support/clients.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';
import { api, ok } from './sync-helpers.js';

const started: MatrixClient[] = [];
afterEach(() => {
  for (const client of started.splice(0)) stopClient(client);
});

async function cryptoClient(server: TestHomeserver, user: TestUser): Promise<MatrixClient> {
  const client = createSdkClient(server, user);
  started.push(client);
  await initRustCryptoQuietly(client);
  await client.startClient({ initialSyncLimit: 10 });
  await waitForSync(client);
  return client;
}

/** Resolves with the first value `probe` returns that is not undefined, checking on every client event and on a timer. */
function eventually<T>(probe: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = (): void => {
      let value: T | undefined;
      try {
        value = probe();
      } catch (error) {
        reject(error as Error);
        return;
      }
      if (value !== undefined) resolve(value);
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 50);
    };
    tick();
  });
}

forEachDialect('e2ee with matrix-js-sdk rust crypto', (server) => {
  it('uploads keys on start; Bob decrypts Alice’s message in an encrypted DM', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const a = await cryptoClient(server(), alice);
    const b = await cryptoClient(server(), bob);

    // Both devices published identity keys and one-time keys.
    const query = async (): Promise<Record<string, Record<string, unknown>>> =>
      (await ok(api(server(), 'POST', '/keys/query', alice, { device_keys: { [alice.userId]: [], [bob.userId]: [] } }), 'query')).device_keys as Record<
        string,
        Record<string, unknown>
      >;
    let keys = await query();
    for (let i = 0; i < 100 && (!keys[bob.userId]?.[bob.deviceId] || !keys[alice.userId]?.[alice.deviceId]); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      keys = await query();
    }
    expect(keys[alice.userId]).toHaveProperty([alice.deviceId]);
    expect(keys[bob.userId]).toHaveProperty([bob.deviceId]);

    const { room_id: roomId } = await a.createRoom({
      invite: [bob.userId],
      is_direct: true,
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    await eventually(() => (b.getRoom(roomId)?.getMyMembership() === 'invite' ? true : undefined), 'the invite');
    await b.joinRoom(roomId);
    await eventually(() => (a.getRoom(roomId)?.getMember(bob.userId)?.membership === 'join' ? true : undefined), 'bob joined in alice’s view');

    const secret = `secret message ${uniqueLocalpart('m')}`;
    const { event_id: eventId } = await a.sendMessage(roomId, { msgtype: MsgType.Text, body: secret });

    const received = await eventually(() => b.getRoom(roomId)?.findEventById(eventId), 'the event at bob');
    const decrypted = await decryptedOrTimeout(received);
    expect(decrypted.isDecryptionFailure()).toBe(false);
    expect(decrypted.getType()).toBe(EventType.RoomMessage);
    expect(decrypted.getClearContent()?.body).toBe(secret);
    expect(received.getWireType()).toBe('m.room.encrypted');
  }, 60_000);

  it('bootstraps cross-signing: the keys and the device signature reach the server', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const a = await cryptoClient(server(), alice);
    const crypto = a.getCrypto();
    if (!crypto) throw new Error('crypto not initialised');
    let authAsked = 0;
    await crypto.bootstrapCrossSigning({
      setupNewCrossSigning: true,
      // The first upload needs no UIA; the SDK calls this anyway and passes null auth first.
      authUploadDeviceSigningKeys: async (makeRequest) => {
        authAsked += 1;
        await makeRequest(null);
      },
    });
    expect(authAsked).toBe(1);
    expect(await crypto.isCrossSigningReady()).toBe(true);
    const body = await ok(api(server(), 'POST', '/keys/query', alice, { device_keys: { [alice.userId]: [] } }), 'query');
    const master = (body.master_keys as Record<string, { keys: Record<string, string> }>)[alice.userId];
    const selfSigning = (body.self_signing_keys as Record<string, { keys: Record<string, string> }>)[alice.userId];
    expect(master).toBeDefined();
    expect((body.user_signing_keys as Record<string, unknown>)[alice.userId]).toBeDefined();
    const selfKeyId = Object.keys(selfSigning?.keys ?? {})[0] as string;
    const ownDevice = (body.device_keys as Record<string, Record<string, { signatures: Record<string, Record<string, string>> }>>)[alice.userId]?.[alice.deviceId];
    expect(ownDevice?.signatures[alice.userId]).toHaveProperty([selfKeyId]);
    // The client learns the signature from its own next key query (after the device_lists change in /sync).
    let signedByOwner = false;
    for (let i = 0; i < 100 && !signedByOwner; i++) {
      signedByOwner = (await crypto.getDeviceVerificationStatus(alice.userId, alice.deviceId))?.signedByOwner === true;
      if (!signedByOwner) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(signedByOwner).toBe(true);
  }, 60_000);
});

/** Waits for the event's decryption to settle (success or failure). */
async function decryptedOrTimeout(event: MatrixEvent, timeoutMs = 20_000): Promise<MatrixEvent> {
  const settled = (): boolean => !event.isBeingDecrypted() && !event.isDecryptionFailure() && event.getClearContent() !== null;
  if (settled()) return event;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const onDecrypted = (): void => {
      if (!settled()) return;
      clearTimeout(timer);
      event.off(MatrixEventEvent.Decrypted, onDecrypted);
      resolve();
    };
    event.on(MatrixEventEvent.Decrypted, onDecrypted);
  });
  return event;
}
