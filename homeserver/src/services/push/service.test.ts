import { beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '@parley/federation';
import { configSchema } from '../../config/schema.js';
import { manualClock } from '../../clock.js';
import { silentLogger } from '../../log.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import type { StreamAdvance } from '../../pubsub/index.js';
import type { Storage, StoredEvent } from '../../storage/index.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { testEvent, uniqueId } from '../../storage/testing/fixtures.js';
import type { CoreDeps } from '../deps.js';
import { MatrixError } from '../../matrix-error.js';
import { createPushService, type PushService, type ReadReceiptPosition } from './index.js';

const SERVER = 'test.example';

function depsFor(storage: Storage, published: StreamAdvance[]): CoreDeps {
  const notifier = createMemoryNotifier();
  notifier.subscribe((advance) => published.push(advance));
  return {
    storage,
    notifier,
    clock: manualClock(1_700_000_000_000),
    logger: silentLogger(),
    serverName: SERVER,
    config: { ...configSchema.parse({}), server_name: 'test' } as CoreDeps['config'],
    signingKey: {} as CoreDeps['signingKey'],
  };
}

/** A room whose current state is written straight to storage; push sees the joins, as it sees every event. */
async function makeRoom(push: PushService, storage: Storage, creator: string, members: readonly string[]): Promise<string> {
  const roomId = uniqueId('!', SERVER);
  await putState(storage, roomId, creator, 'm.room.create', '', { room_version: '12' });
  await putState(storage, roomId, creator, 'm.room.power_levels', '', { users: { [creator]: 100 } });
  for (const member of members) {
    const join = await putState(storage, roomId, member, 'm.room.member', member, { membership: 'join', displayname: member.slice(1, 5) });
    await push.onEventPersisted(join, { roomVersion: '12' });
  }
  return roomId;
}

async function putState(storage: Storage, roomId: string, sender: string, type: string, stateKey: string, content: JsonObject): Promise<StoredEvent> {
  const event = testEvent({ roomId, type, stateKey, sender });
  event.pdu.content = content;
  await storage.events.persist(event);
  await storage.events.updateCurrentState(roomId, { set: [{ type, stateKey, eventId: event.eventId }], remove: [] });
  return (await storage.events.getEvents([event.eventId]))[0] as StoredEvent;
}

async function send(storage: Storage, roomId: string, sender: string, content: JsonObject, type = 'm.room.message'): Promise<StoredEvent> {
  const event = testEvent({ roomId, sender });
  event.pdu.type = type;
  event.pdu.content = content;
  await storage.events.persist(event);
  return (await storage.events.getEvents([event.eventId]))[0] as StoredEvent;
}

async function expectError(promise: Promise<unknown>, status: number, errcode: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MatrixError);
  expect(error).toMatchObject({ status, errcode });
}

forEachDatabase('PushService', (getStorage) => {
  let push: PushService;
  let published: StreamAdvance[];
  let receipts: ReadReceiptPosition[];
  let ignored: Map<string, Set<string>>;
  let alice: string;
  let bob: string;
  let carol: string;

  beforeEach(() => {
    published = [];
    receipts = [];
    ignored = new Map();
    push = createPushService(depsFor(getStorage(), published), {
      getReadReceipts: async () => receipts,
      getIgnoredUsers: async (userId) => ignored.get(userId) ?? new Set(),
    });
    [alice, bob, carol] = [uniqueId('@', SERVER), uniqueId('@', SERVER), uniqueId('@', SERVER)];
  });

  async function deliver(event: StoredEvent): Promise<StoredEvent> {
    await push.onEventPersisted(event, { roomVersion: '12' });
    return event;
  }

  async function counts(userId: string, roomId: string) {
    return (await push.getUnreadCounts(userId, [roomId])).get(roomId);
  }

  describe('counts', () => {
    it('notifies other local members, highlights mentions, and resets on a read receipt', async () => {
      const storage = getStorage();
      const remote = uniqueId('@', 'elsewhere.example');
      const room = await makeRoom(push, storage, bob, [alice, bob, carol, remote]);
      await deliver(await send(storage, room, bob, { msgtype: 'm.text', body: 'hello' }));
      const mention = await deliver(await send(storage, room, bob, { msgtype: 'm.text', body: 'hey', 'm.mentions': { user_ids: [alice] } }));

      expect((await counts(alice, room))?.total).toEqual({ notification_count: 2, highlight_count: 1 });
      expect((await counts(carol, room))?.total).toEqual({ notification_count: 2, highlight_count: 0 });
      expect((await counts(bob, room))?.total).toEqual({ notification_count: 0, highlight_count: 0 });
      expect((await push.getNotifications(remote, {})).notifications).toEqual([]);

      receipts = [{ roomId: room, threadId: null, eventId: mention.eventId }];
      expect((await counts(alice, room))?.total).toEqual({ notification_count: 0, highlight_count: 0 });
      // A receipt pushed in through markRead works the same way.
      receipts = [];
      await push.markRead(carol, { roomId: room, threadId: null, eventId: mention.eventId });
      expect((await counts(carol, room))?.total).toEqual({ notification_count: 0, highlight_count: 0 });
    });

    it('treats sending a message as reading the room', async () => {
      const storage = getStorage();
      const room = await makeRoom(push, storage, bob, [alice, bob, carol]);
      await deliver(await send(storage, room, bob, { body: 'one' }));
      expect((await counts(alice, room))?.total.notification_count).toBe(1);
      await deliver(await send(storage, room, alice, { body: 'reply' }));
      expect((await counts(alice, room))?.total.notification_count).toBe(0);
    });

    it('notifies in a 1:1 room and suppresses notices and edits', async () => {
      const storage = getStorage();
      const room = await makeRoom(push, storage, bob, [alice, bob]);
      await deliver(await send(storage, room, bob, { msgtype: 'm.notice', body: 'bot says' }));
      const original = await deliver(await send(storage, room, bob, { msgtype: 'm.text', body: 'hi' }));
      await deliver(
        await send(storage, room, bob, { body: '* hi!', 'm.new_content': { body: 'hi!' }, 'm.relates_to': { rel_type: 'm.replace', event_id: original.eventId } }),
      );
      const { notifications } = await push.getNotifications(alice, {});
      expect(notifications.map((entry) => [entry.event.event_id, entry.actions])).toEqual([[original.eventId, ['notify', { set_tweak: 'sound', value: 'default' }]]]);
    });

    it('splits counts per thread and honours threaded receipts', async () => {
      const storage = getStorage();
      const room = await makeRoom(push, storage, bob, [alice, bob, carol]);
      const root = await deliver(await send(storage, room, bob, { body: 'root' }));
      const inThread = await deliver(await send(storage, room, bob, { body: 'in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: root.eventId } }));
      // A reply-ish relation to a thread event (not m.thread itself) still belongs to the thread.
      await deliver(await send(storage, room, carol, { body: 'ref', 'm.relates_to': { rel_type: 'org.example.ref', event_id: inThread.eventId } }));
      const later = await deliver(await send(storage, room, bob, { body: 'main again' }));

      expect(await counts(alice, room)).toEqual({
        total: { notification_count: 4, highlight_count: 0 },
        main: { notification_count: 2, highlight_count: 0 },
        threads: { [root.eventId]: { notification_count: 2, highlight_count: 0 } },
      });
      receipts = [{ roomId: room, threadId: root.eventId, eventId: inThread.eventId }];
      expect((await counts(alice, room))?.threads).toEqual({ [root.eventId]: { notification_count: 1, highlight_count: 0 } });
      receipts = [{ roomId: room, threadId: 'main', eventId: later.eventId }];
      const afterMain = await counts(alice, room);
      expect(afterMain?.main.notification_count).toBe(0);
      expect(afterMain?.threads[root.eventId]?.notification_count).toBe(2);
      receipts = [{ roomId: room, threadId: null, eventId: later.eventId }];
      expect(await counts(alice, room)).toEqual({
        total: { notification_count: 0, highlight_count: 0 },
        main: { notification_count: 0, highlight_count: 0 },
        threads: {},
      });
    });

    it('lists notifications newest first with read flags, pagination and only=highlight', async () => {
      const storage = getStorage();
      const room = await makeRoom(push, storage, bob, [alice, bob, carol]);
      const first = await deliver(await send(storage, room, bob, { body: 'a' }));
      await deliver(await send(storage, room, bob, { body: 'b', 'm.mentions': { user_ids: [alice] } }));
      await deliver(await send(storage, room, bob, { body: 'c' }));
      receipts = [{ roomId: room, threadId: null, eventId: first.eventId }];

      const page = await push.getNotifications(alice, { limit: 2 });
      expect(page.notifications.map((n) => [n.event.content, n.read])).toEqual([
        [{ body: 'c' }, false],
        [{ body: 'b', 'm.mentions': { user_ids: [alice] } }, false],
      ]);
      expect(page.notifications[0]).toMatchObject({ room_id: room, actions: ['notify'], ts: 1_700_000_000_000 });
      expect(page.next_token).toBeDefined();
      const rest = await push.getNotifications(alice, { limit: 2, from: page.next_token });
      expect(rest.notifications.map((n) => [n.event.event_id, n.read])).toEqual([[first.eventId, true]]);
      expect(rest.next_token).toBeUndefined();
      const highlights = await push.getNotifications(alice, { only: 'highlight' });
      expect(highlights.notifications.map((n) => (n.event.content as JsonObject).body)).toEqual(['b']);
      await expectError(push.getNotifications(alice, { from: 'nonsense' }), 400, 'M_INVALID_PARAM');
    });

    it('never notifies a user about events of someone they ignore, invites included', async () => {
      const storage = getStorage();
      const room = await makeRoom(push, storage, bob, [alice, bob, carol]);
      ignored.set(alice, new Set([bob]));
      await deliver(await send(storage, room, bob, { body: 'hi all', 'm.mentions': { user_ids: [alice] } }));
      expect((await counts(alice, room))?.total).toEqual({ notification_count: 0, highlight_count: 0 });
      expect((await counts(carol, room))?.total).toEqual({ notification_count: 1, highlight_count: 0 });
      // An invite from the ignored user does not notify the invitee either; one from someone else does.
      const dave = uniqueId('@', SERVER);
      const other = await makeRoom(push, storage, bob, [bob, carol]);
      ignored.set(dave, new Set([bob]));
      await deliver(await putState(storage, other, bob, 'm.room.member', dave, { membership: 'invite' }));
      expect((await push.getNotifications(dave, {})).notifications).toEqual([]);
      ignored.delete(dave);
      const invite = await deliver(await putState(storage, other, carol, 'm.room.member', dave, { membership: 'invite' }));
      expect((await push.getNotifications(dave, {})).notifications.map((entry) => entry.event.event_id)).toEqual([invite.eventId]);
    });

    it('stops counting and listing an event once a redaction applied to it', async () => {
      const storage = getStorage();
      const room = await makeRoom(push, storage, bob, [alice, bob, carol]);
      const kept = await deliver(await send(storage, room, bob, { body: 'kept' }));
      const oops = await deliver(await send(storage, room, bob, { body: 'oops', 'm.mentions': { user_ids: [alice] } }));
      expect((await counts(alice, room))?.total).toEqual({ notification_count: 2, highlight_count: 1 });

      // A redaction the rooms domain did not apply (target not marked redacted) changes nothing.
      const refused = await send(storage, room, bob, { redacts: oops.eventId }, 'm.room.redaction');
      await deliver(refused);
      expect((await counts(alice, room))?.total.notification_count).toBe(2);

      // v11+ names the target in content.redacts; the rooms domain marks it before listeners run.
      const redaction = await send(storage, room, bob, { redacts: oops.eventId }, 'm.room.redaction');
      await storage.events.markRedacted(oops.eventId, redaction.eventId);
      await deliver(redaction);
      expect((await counts(alice, room))?.total).toEqual({ notification_count: 1, highlight_count: 0 });
      expect((await counts(carol, room))?.total.notification_count).toBe(1);
      const listed = await push.getNotifications(alice, {});
      expect(listed.notifications.map((n) => n.event.event_id)).toEqual([kept.eventId]);

      // Room versions before 11 carry `redacts` at the top level.
      const legacy = await send(storage, room, bob, {}, 'm.room.redaction');
      legacy.pdu.redacts = kept.eventId;
      await storage.events.markRedacted(kept.eventId, legacy.eventId);
      await deliver(legacy);
      expect((await counts(carol, room))?.total.notification_count).toBe(0);
    });

    it('applies the user rules: a muted room gives no notifications', async () => {
      const storage = getStorage();
      const room = await makeRoom(push, storage, bob, [alice, bob, carol]);
      await push.putRule(alice, 'global', 'room', room, { actions: [] });
      await deliver(await send(storage, room, bob, { body: 'quiet' }));
      expect((await counts(alice, room))?.total.notification_count).toBe(0);
      expect((await counts(carol, room))?.total.notification_count).toBe(1);
    });
  });

  describe('summaries: writes that do not grow with the room', () => {
    async function ownRows(userIds: readonly string[]): Promise<number> {
      const storage = getStorage();
      const rows = await Promise.all(userIds.map((userId) => storage.push.listNotifications(userId, { limit: 100, onlyHighlight: false })));
      return rows.reduce((sum, list) => sum + list.length, 0);
    }

    it('stores no row per member for the common case, only for a mention and a user whose rules differ', async () => {
      const storage = getStorage();
      const members = Array.from({ length: 30 }, () => uniqueId('@', SERVER));
      const room = await makeRoom(push, storage, bob, [bob, ...members]);
      const [muted, mentioned, plain] = members as [string, string, string];
      await push.setRuleActions(muted, 'global', 'underride', '.m.rule.message', []);
      const hello = await deliver(await send(storage, room, bob, { msgtype: 'm.text', body: 'hello' }));
      expect(await ownRows(members)).toBe(0);
      const ping = await deliver(await send(storage, room, bob, { msgtype: 'm.text', body: 'ping', 'm.mentions': { user_ids: [mentioned] } }));
      expect(await ownRows(members)).toBe(1);

      expect((await counts(plain, room))?.total).toEqual({ notification_count: 2, highlight_count: 0 });
      expect((await counts(mentioned, room))?.total).toEqual({ notification_count: 2, highlight_count: 1 });
      expect((await counts(muted, room))?.total).toEqual({ notification_count: 0, highlight_count: 0 });
      expect((await counts(bob, room))?.total).toEqual({ notification_count: 0, highlight_count: 0 });
      const listed = (await push.getNotifications(mentioned, {})).notifications;
      expect(listed.map((entry) => [entry.event.event_id, entry.actions, entry.read])).toEqual([
        [ping.eventId, ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }], false],
        [hello.eventId, ['notify'], false],
      ]);
      expect((await push.getNotifications(mentioned, { only: 'highlight' })).notifications.map((entry) => entry.event.event_id)).toEqual([ping.eventId]);
      expect((await push.getNotifications(muted, {})).notifications).toEqual([]);
    });

    it('counts a summary only for members joined at the event', async () => {
      const storage = getStorage();
      const room = await makeRoom(push, storage, bob, [alice, bob, carol]);
      await deliver(await send(storage, room, bob, { body: 'before dave' }));
      const dave = uniqueId('@', SERVER);
      await deliver(await putState(storage, room, dave, 'm.room.member', dave, { membership: 'join' }));
      // Read positions come from receipts here; dave has none, so only his join bounds what he sees.
      const withDave = await deliver(await send(storage, room, bob, { body: 'with dave' }));
      expect((await counts(dave, room))?.total.notification_count).toBe(1);
      // Kicked (by bob: dave's own read position stays where it was): what follows is not his.
      await deliver(await putState(storage, room, bob, 'm.room.member', dave, { membership: 'leave' }));
      await deliver(await send(storage, room, bob, { body: 'after dave left' }));
      expect((await counts(dave, room))?.total.notification_count).toBe(1);
      expect((await counts(carol, room))?.total.notification_count).toBe(3);
      // Back again (his join reads the room): counted from the new join on.
      await deliver(await putState(storage, room, dave, 'm.room.member', dave, { membership: 'join' }));
      const back = await deliver(await send(storage, room, bob, { body: 'welcome back' }));
      expect((await counts(dave, room))?.total.notification_count).toBe(1);
      const listed = (await push.getNotifications(dave, {})).notifications;
      expect(listed.map((entry) => [entry.event.event_id, entry.read])).toEqual([[back.eventId, false], [withDave.eventId, true]]);
    });

    it('runs inside a transaction handed to it: rolled back, nothing stays; committed, it counts', async () => {
      const storage = getStorage();
      const room = await makeRoom(push, storage, bob, [alice, bob, carol]);
      const first = await send(storage, room, bob, { body: 'one', 'm.mentions': { user_ids: [alice] } });
      const failure = new Error('reader gave up');
      await expect(
        storage.transaction(async (tx) => {
          await push.onEventPersisted(first, { roomVersion: '12', storage: tx });
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect((await counts(alice, room))?.total).toEqual({ notification_count: 0, highlight_count: 0 });
      expect((await counts(carol, room))?.total.notification_count).toBe(0);
      await storage.transaction((tx) => push.onEventPersisted(first, { roomVersion: '12', storage: tx }));
      expect((await counts(alice, room))?.total).toEqual({ notification_count: 1, highlight_count: 1 });
      expect((await counts(carol, room))?.total.notification_count).toBe(1);
    });

    it('pages /notifications over own rows and summaries, newest first', async () => {
      const storage = getStorage();
      const room = await makeRoom(push, storage, bob, [alice, bob, carol]);
      const sent: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        const mentions = index % 2 === 0 ? { 'm.mentions': { user_ids: [alice] } } : {};
        sent.push((await deliver(await send(storage, room, bob, { body: `m${index}`, ...mentions }))).eventId);
      }
      const first = await push.getNotifications(alice, { limit: 2 });
      expect(first.notifications.map((entry) => entry.event.event_id)).toEqual([sent[4], sent[3]]);
      const second = await push.getNotifications(alice, { limit: 2, from: first.next_token });
      expect(second.notifications.map((entry) => entry.event.event_id)).toEqual([sent[2], sent[1]]);
      const third = await push.getNotifications(alice, { limit: 2, from: second.next_token });
      expect(third.notifications.map((entry) => entry.event.event_id)).toEqual([sent[0]]);
      expect(third.next_token).toBeUndefined();
    });
  });

  describe('rules', () => {
    it('creates rules first by default, honours before/after, and keeps them below master', async () => {
      const conditions = [{ kind: 'event_match', key: 'type', pattern: 'x' }];
      await push.putRule(alice, 'global', 'override', 'one', { actions: ['notify'], conditions });
      await push.putRule(alice, 'global', 'override', 'two', { actions: ['notify'], conditions });
      await push.putRule(alice, 'global', 'override', 'three', { actions: [], after: 'one' });
      await push.putRule(alice, 'global', 'override', 'four', { actions: [], before: 'two', after: 'one' });
      const ids = (await push.getRuleset(alice, 'global')).override.map((rule) => rule.rule_id);
      expect(ids.slice(0, 6)).toEqual(['.m.rule.master', 'four', 'two', 'one', 'three', '.m.rule.suppress_notices']);
      expect(await push.getRule(alice, 'global', 'override', 'one')).toEqual({
        rule_id: 'one',
        default: false,
        enabled: true,
        actions: ['notify'],
        conditions,
      });
      // Updating keeps the position and the enabled state.
      await push.setRuleEnabled(alice, 'global', 'override', 'one', false);
      await push.putRule(alice, 'global', 'override', 'one', { actions: ['dont_notify'] });
      const updated = (await push.getRulesets(alice)).global.override;
      expect(updated.map((rule) => rule.rule_id).slice(0, 5)).toEqual(['.m.rule.master', 'four', 'two', 'one', 'three']);
      expect(updated[3]).toMatchObject({ enabled: false, actions: [], conditions: [] });
      await expectError(push.putRule(alice, 'global', 'override', 'five', { actions: [], before: 'missing' }), 400, 'M_UNKNOWN');
      await expectError(push.putRule(alice, 'global', 'override', 'five', { actions: [], after: '.m.rule.master' }), 400, 'M_UNKNOWN');
      expect((await push.getRuleset(alice, 'global')).override.some((rule) => rule.rule_id === 'five')).toBe(false);
    });

    it('shapes content, room and sender rules', async () => {
      await push.putRule(alice, 'global', 'content', 'cake', { actions: ['notify'], pattern: 'cake*lie', conditions: [] });
      await push.putRule(alice, 'global', 'sender', bob, { actions: [], pattern: 'ignored' });
      expect(await push.getRule(alice, 'global', 'content', 'cake')).toEqual({ rule_id: 'cake', default: false, enabled: true, actions: ['notify'], pattern: 'cake*lie' });
      expect(await push.getRule(alice, 'global', 'sender', bob)).toEqual({ rule_id: bob, default: false, enabled: true, actions: [] });
      await expectError(push.putRule(alice, 'global', 'content', 'nopattern', { actions: [] }), 400, 'M_MISSING_PARAM');
    });

    it('rejects bad input with the spec errors', async () => {
      await expectError(push.getRule(alice, 'device', 'override', 'x'), 400, 'M_INVALID_PARAM');
      await expectError(push.getRule(alice, 'global', 'everything', 'x'), 400, 'M_INVALID_PARAM');
      await expectError(push.getRule(alice, 'global', 'override', 'missing'), 404, 'M_NOT_FOUND');
      await expectError(push.getRule(alice, 'global', 'content', '.m.rule.master'), 404, 'M_NOT_FOUND');
      await expectError(push.putRule(alice, 'global', 'override', '.mine', { actions: [] }), 400, 'M_INVALID_PARAM');
      await expectError(push.putRule(alice, 'global', 'override', 'a/b', { actions: [] }), 400, 'M_INVALID_PARAM');
      await expectError(push.putRule(alice, 'global', 'override', 'bad', { actions: ['explode'] }), 400, 'M_BAD_JSON');
      await expectError(push.putRule(alice, 'global', 'override', 'bad', { actions: [{ value: 1 }] }), 400, 'M_BAD_JSON');
      await expectError(push.putRule(alice, 'global', 'override', 'bad', { actions: [], conditions: [{ kind: 'event_match' }] }), 400, 'M_BAD_JSON');
      await expectError(push.putRule(alice, 'global', 'override', 'bad', { actions: [], conditions: ['x'] }), 400, 'M_BAD_JSON');
      await expectError(push.deleteRule(alice, 'global', 'override', '.m.rule.master'), 400, 'M_INVALID_PARAM');
      await expectError(push.deleteRule(alice, 'global', 'override', 'missing'), 404, 'M_NOT_FOUND');
      await expectError(push.setRuleEnabled(alice, 'global', 'override', 'missing', true), 404, 'M_NOT_FOUND');
      await expectError(push.setRuleActions(alice, 'global', 'underride', '.m.rule.master', []), 404, 'M_NOT_FOUND');
      await expectError(push.setRuleActions(alice, 'global', 'override', '.m.rule.master', ['explode']), 400, 'M_BAD_JSON');
      // Nothing was written by any of them.
      expect(await getStorage().push.getUserRules(alice)).toEqual([]);
      expect(published).toEqual([]);
      // Unknown condition kinds are stored (they just never match).
      await push.putRule(alice, 'global', 'override', 'future', { actions: ['notify'], conditions: [{ kind: 'org.example.new' }] });
      expect((await push.getRule(alice, 'global', 'override', 'future')).conditions).toEqual([{ kind: 'org.example.new' }]);
    });

    it('enables and changes actions of default rules, deletes user rules, and announces every change on account_data', async () => {
      const storage = getStorage();
      const before = await storage.streams.current('account_data');
      await push.setRuleEnabled(alice, 'global', 'override', '.m.rule.master', true);
      await push.setRuleActions(alice, 'global', 'underride', '.m.rule.message', ['notify', { set_tweak: 'sound', value: 'bing' }, 'coalesce']);
      expect(await push.getRule(alice, 'global', 'override', '.m.rule.master')).toMatchObject({ enabled: true, default: true });
      expect((await push.getRule(alice, 'global', 'underride', '.m.rule.message')).actions).toEqual(['notify', { set_tweak: 'sound', value: 'bing' }]);
      await push.putRule(alice, 'global', 'underride', 'gone', { actions: [] });
      await push.deleteRule(alice, 'global', 'underride', 'gone');
      await expectError(push.getRule(alice, 'global', 'underride', 'gone'), 404, 'M_NOT_FOUND');

      expect(published.map((advance) => [advance.stream, advance.userIds])).toEqual(Array(4).fill(['account_data', [alice]]));
      const last = published.at(-1)?.position as number;
      expect(last).toBeGreaterThan(before);
      const event = await push.getPushRulesChange(alice, before, last, { initial: false });
      expect(event?.type).toBe('m.push_rules');
      expect(event?.content.global.override[0]).toMatchObject({ rule_id: '.m.rule.master', enabled: true });
      expect(await push.getPushRulesChange(alice, last, last + 10, { initial: false })).toBeNull();
      expect(await push.getPushRulesChange(bob, before, last, { initial: false })).toBeNull();
      // An initial sync always carries the rules, changed or not.
      expect((await push.getPushRulesChange(bob, 0, last, { initial: true }))?.content.global.underride).toHaveLength(5);
      // An incremental sync from position 0 gets only rules that changed: bob's never did, alice's did.
      expect(await push.getPushRulesChange(bob, 0, last, { initial: false })).toBeNull();
      expect((await push.getPushRulesChange(alice, 0, last, { initial: false }))?.type).toBe('m.push_rules');
      expect(await push.getPushRulesAccountData(alice)).toEqual(event);
    });
  });
});
