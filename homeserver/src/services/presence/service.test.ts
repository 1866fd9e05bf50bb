import { generateSigningKey } from '@parley/federation';
import { describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../clock.js';
import type { Config } from '../../config/schema.js';
import { createLogger } from '../../log.js';
import { MatrixError } from '../../matrix-error.js';
import type { StreamAdvance } from '../../pubsub/index.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import type { Storage } from '../../storage/index.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { uniqueId } from '../../storage/testing/fixtures.js';
import { PRESENCE_PRIVACY_TYPE, createPresenceService, type PresenceOptions, type PresenceService } from './index.js';

const MINUTE = 60_000;

interface Fixture {
  presence: PresenceService;
  clock: ManualClock;
  published: StreamAdvance[];
  accountData: Map<string, Record<string, unknown>>;
  /** alice and bob share a room; carol shares none with them. */
  alice: string;
  bob: string;
  carol: string;
}

function setUp(storage: Storage, options: PresenceOptions = {}): Fixture {
  const clock = manualClock(1_700_000_000_000);
  const notifier = createMemoryNotifier();
  const published: StreamAdvance[] = [];
  notifier.subscribe((advance) => published.push(advance));
  const [alice, bob, carol] = [uniqueId('@'), uniqueId('@'), uniqueId('@')];
  const sharing = new Map([
    [alice, [alice, bob]],
    [bob, [alice, bob]],
    [carol, [carol]],
  ]);
  const accountData = new Map<string, Record<string, unknown>>();
  const deps = {
    config: { presence: { enabled: true } } as Config,
    storage,
    notifier,
    clock,
    logger: createLogger({ level: 'silent' }),
    serverName: 'test.example',
    signingKey: generateSigningKey(),
  };
  const presence = createPresenceService(
    deps,
    {
      usersSharingRoomWith: async (userId) => sharing.get(userId) ?? [],
      getGlobalAccountData: async (userId, type) => accountData.get(`${userId}|${type}`) ?? null,
    },
    { sweepIntervalMs: 0, ...options },
  );
  return { presence, clock, published, accountData, alice, bob, carol };
}

async function expectMatrixError(promise: Promise<unknown>, status: number, errcode: string): Promise<MatrixError> {
  const error: unknown = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(MatrixError);
  expect({ status: (error as MatrixError).status, errcode: (error as MatrixError).errcode }).toEqual({ status, errcode });
  return error as MatrixError;
}

async function allChanges(presence: PresenceService, viewer: string, from = 0) {
  return presence.getChanges(viewer, from, await presence.currentPosition());
}

forEachDatabase('presence service', (getStorage) => {
  describe('status', () => {
    it('sets and reads presence with last_active_ago, status_msg and currently_active', async () => {
      const { presence, clock, alice, bob } = setUp(getStorage());
      await presence.setStatus(alice, alice, { presence: 'online', statusMsg: 'in a meeting' });
      clock.advance(1_000);
      expect(await presence.getStatus(bob, alice)).toEqual({
        presence: 'online',
        last_active_ago: 1_000,
        status_msg: 'in a meeting',
        currently_active: true,
      });
      // Absent status_msg keeps the message; going unavailable does not count as activity.
      await presence.setStatus(alice, alice, { presence: 'unavailable' });
      expect(await presence.getStatus(alice, alice)).toEqual({ presence: 'unavailable', last_active_ago: 1_000, status_msg: 'in a meeting' });
    });

    it('refuses to set another user or to show presence to someone sharing no room', async () => {
      const { presence, alice, bob, carol } = setUp(getStorage());
      await expectMatrixError(presence.setStatus(alice, bob, { presence: 'online' }), 403, 'M_FORBIDDEN');
      await presence.setStatus(alice, alice, { presence: 'online' });
      await expectMatrixError(presence.getStatus(carol, alice), 403, 'M_FORBIDDEN');
      expect(await presence.getStatus(carol, carol)).toEqual({ presence: 'offline' });
    });

    it('rate limits changes per user', async () => {
      const { presence, clock, alice, bob } = setUp(getStorage(), { statusBurst: 3, statusRefillMs: 1_000 });
      for (let i = 0; i < 3; i += 1) await presence.setStatus(alice, alice, { presence: i % 2 === 0 ? 'online' : 'unavailable' });
      const error = await expectMatrixError(presence.setStatus(alice, alice, { presence: 'online' }), 429, 'M_LIMIT_EXCEEDED');
      expect(error.extra.retry_after_ms).toBe(1_000);
      await presence.setStatus(bob, bob, { presence: 'online' });
      clock.advance(1_000);
      await presence.setStatus(alice, alice, { presence: 'online' });
    });
  });

  describe('privacy', () => {
    it('hides presence and last seen from others, never from the user', async () => {
      const { presence, clock, accountData, alice, bob } = setUp(getStorage());
      await presence.setStatus(alice, alice, { presence: 'online', statusMsg: 'here' });
      clock.advance(500);

      accountData.set(`${alice}|${PRESENCE_PRIVACY_TYPE}`, { hide_last_seen: true });
      expect(await presence.getStatus(bob, alice)).toEqual({ presence: 'online', status_msg: 'here', currently_active: true });
      expect((await allChanges(presence, bob)).find((event) => event.sender === alice)?.content).toEqual({
        presence: 'online',
        status_msg: 'here',
        currently_active: true,
      });

      accountData.set(`${alice}|${PRESENCE_PRIVACY_TYPE}`, { hide_presence: true });
      expect(await presence.getStatus(bob, alice)).toEqual({ presence: 'offline' });
      expect((await allChanges(presence, bob)).find((event) => event.sender === alice)?.content).toEqual({ presence: 'offline' });
      expect((await presence.getStatus(alice, alice)).presence).toBe('online');
      expect((await allChanges(presence, alice)).find((event) => event.sender === alice)?.content.last_active_ago).toBe(500);
    });

    it('re-announces presence when the setting changes', async () => {
      const { presence, published, alice, bob } = setUp(getStorage());
      await presence.setStatus(alice, alice, { presence: 'online' });
      const before = await presence.currentPosition();
      await presence.privacyChanged(alice);
      expect(await presence.currentPosition()).toBeGreaterThan(before);
      expect(new Set(published.at(-1)?.userIds)).toEqual(new Set([alice, bob]));
    });
  });

  describe('audience', () => {
    it('sends presence only to users sharing a room', async () => {
      const { presence, published, alice, bob, carol } = setUp(getStorage());
      await presence.setStatus(alice, alice, { presence: 'online' });
      await presence.setStatus(carol, carol, { presence: 'online' });
      expect(published.map((advance) => new Set(advance.userIds))).toEqual([new Set([alice, bob]), new Set([carol])]);

      expect((await allChanges(presence, bob)).map((event) => event.sender)).toEqual([alice]);
      expect((await allChanges(presence, carol)).map((event) => event.sender)).toEqual([carol]);
      const position = await presence.currentPosition();
      await presence.setStatus(bob, bob, { presence: 'unavailable' });
      expect((await allChanges(presence, alice, position)).map((event) => event.sender)).toEqual([bob]);
    });
  });

  describe('activity, sync and timeouts', () => {
    it('coalesces activity and only moves the stream when others would see a change', async () => {
      const { presence, clock, alice, bob } = setUp(getStorage(), { activeCoalesceMs: MINUTE, idleAfterMs: 5 * MINUTE, offlineAfterMs: 30 * MINUTE });
      await presence.markActive(alice);
      const online = await presence.currentPosition();
      clock.advance(30_000);
      await presence.markActive(alice);
      expect((await presence.getStatus(bob, alice)).last_active_ago).toBe(30_000);
      clock.advance(40_000);
      await presence.markActive(alice);
      // Refreshed last active time, same visible state: silent.
      expect(await presence.currentPosition()).toBe(online);
      expect((await presence.getStatus(bob, alice)).last_active_ago).toBe(0);

      // Idle past the timeout: unavailable once swept; activity brings the user back online, visibly.
      clock.advance(5 * MINUTE);
      expect((await presence.getStatus(bob, alice)).presence).toBe('unavailable');
      expect(await presence.sweep()).toBeGreaterThanOrEqual(1);
      const idle = await presence.currentPosition();
      expect(idle).toBeGreaterThan(online);
      await presence.markActive(alice);
      expect(await presence.currentPosition()).toBeGreaterThan(idle);
      expect(await presence.getStatus(bob, alice)).toMatchObject({ presence: 'online', currently_active: true });
    });

    it('brings syncing users online, keeps them from going offline, and takes silent ones offline', async () => {
      const { presence, clock, alice, bob } = setUp(getStorage(), { idleAfterMs: 5 * MINUTE, offlineAfterMs: 2 * MINUTE, syncCoalesceMs: 30_000 });
      await presence.setPresenceFromSync(alice, 'offline');
      expect(await presence.getStatus(bob, alice)).toEqual({ presence: 'offline' });
      await presence.setPresenceFromSync(alice, undefined);
      expect((await presence.getStatus(bob, alice)).presence).toBe('online');

      // Keeps syncing for 4 minutes without acting: idle (unavailable), not offline.
      for (let i = 0; i < 8; i += 1) {
        clock.advance(30_000);
        await presence.setPresenceFromSync(alice, 'online');
      }
      clock.advance(90_000);
      await presence.sweep();
      expect((await presence.getStatus(bob, alice)).presence).toBe('unavailable');

      // Stops syncing: offline after the timeout.
      clock.advance(2 * MINUTE);
      await presence.sweep();
      expect((await presence.getStatus(bob, alice)).presence).toBe('offline');

      await presence.setPresenceFromSync(bob, 'unavailable');
      expect((await presence.getStatus(alice, bob)).presence).toBe('unavailable');
    });
  });

  describe('disabled', () => {
    it('records nothing and serves everyone as offline', async () => {
      const { presence, alice, bob } = setUp(getStorage(), { enabled: false });
      expect(presence.enabled).toBe(false);
      await presence.setStatus(alice, alice, { presence: 'online' });
      await presence.markActive(alice);
      await presence.setPresenceFromSync(alice, 'online');
      expect(await presence.getStatus(bob, alice)).toEqual({ presence: 'offline' });
      expect(await presence.getChanges(bob, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    });
  });
});
