/**
 * /sync long-polling on every notifier transport (in-process, and Redis when TEST_REDIS_URL is set): a waiting
 * sync wakes when another user sends to a shared room, does not wake for unrelated rooms, and returns at once
 * when something is already new. With Redis and PostgreSQL, a second server process on the same database sends.
 * https://spec.matrix.org/v1.19/client-server-api/#syncing
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachBus } from '../homeserver/src/pubsub/testing.js';
import { registerUser, startTestHomeserver, testDialects, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';
import { createRoom, joinRoom, sendMessage, sync, type Json } from './sync-helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a sync and records when it answered. */
function timedSync(server: TestHomeserver, user: TestUser, since: string, timeout: number) {
  const started = performance.now();
  return sync(server, user, { since, timeout }).then((body) => ({ body, elapsed: performance.now() - started }));
}

function joinedRooms(body: Json): Record<string, { timeline: { events: Json[] } }> {
  return (body.rooms as { join: Record<string, { timeline: { events: Json[] } }> }).join;
}

forEachBus('sync long-poll', (bus) => {
  let server: TestHomeserver | undefined;
  const hs = () => server as TestHomeserver;
  beforeAll(async () => {
    server = await startTestHomeserver({ config: bus.redis ? { redis: { url: bus.redis.url } } : {} });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function pair(): Promise<{ alice: TestUser; bob: TestUser; roomId: string }> {
    const alice = await registerUser(hs(), uniqueLocalpart('alice'));
    const bob = await registerUser(hs(), uniqueLocalpart('bob'));
    const roomId = await createRoom(hs(), alice, { invite: [bob.userId] });
    await joinRoom(hs(), bob, roomId);
    return { alice, bob, roomId };
  }

  it('wakes a waiting sync when another user sends to a shared room', async () => {
    const { alice, bob, roomId } = await pair();
    const { next_batch: since } = await sync(hs(), alice);
    const waiting = timedSync(hs(), alice, since as string, 10_000);
    await sleep(300);
    const eventId = await sendMessage(hs(), bob, roomId, 'wake up');
    const { body, elapsed } = await waiting;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5_000);
    expect(joinedRooms(body)[roomId]?.timeline.events.map((event) => event.event_id)).toContain(eventId);
  });

  it('does not wake for rooms the user is not in, and returns empty after the timeout', async () => {
    const { alice } = await pair();
    const carol = await registerUser(hs(), uniqueLocalpart('carol'));
    const elsewhere = await createRoom(hs(), carol, {});
    const { next_batch: since } = await sync(hs(), alice);
    const waiting = timedSync(hs(), alice, since as string, 1_500);
    await sleep(200);
    await sendMessage(hs(), carol, elsewhere, 'not for alice');
    const { body, elapsed } = await waiting;
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(joinedRooms(body)).toEqual({});
    expect(body.next_batch).toMatch(/^s\d+/);
  });

  it('returns at once when something new is already there', async () => {
    const { alice, bob, roomId } = await pair();
    const { next_batch: since } = await sync(hs(), alice);
    await sendMessage(hs(), bob, roomId, 'already here');
    const { body, elapsed } = await timedSync(hs(), alice, since as string, 10_000);
    expect(elapsed).toBeLessThan(2_000);
    expect(Object.keys(joinedRooms(body))).toEqual([roomId]);
  });

  // Two server processes on one PostgreSQL database: the wake-up crosses between them only through Redis.
  describe.skipIf(bus.kind !== 'redis' || !testDialects().includes('postgres'))('two processes', () => {
    let first: TestHomeserver | undefined;
    let second: TestHomeserver | undefined;
    beforeAll(async () => {
      const redis = { url: bus.redis?.url as string };
      first = await startTestHomeserver({ dialect: 'postgres', config: { redis } });
      // The second process uses the first one's database (the sqlite dialect only means "no database of its own").
      second = await startTestHomeserver({ dialect: 'sqlite', config: { redis, database: { url: first.server.config.database.url as string } } });
    });
    afterAll(async () => {
      await second?.close();
      await first?.close();
    });

    it('wakes a sync waiting on one process when a message is sent through the other', async () => {
      const a = first as TestHomeserver;
      const b = second as TestHomeserver;
      const alice = await registerUser(a, uniqueLocalpart('alice'));
      const bob = await registerUser(a, uniqueLocalpart('bob'));
      const roomId = await createRoom(a, alice, { invite: [bob.userId] });
      await joinRoom(a, bob, roomId);
      const { next_batch: since } = await sync(a, alice);
      const waiting = timedSync(a, alice, since as string, 10_000);
      await sleep(300);
      const eventId = await sendMessage(b, bob, roomId, 'from the other process');
      const { body, elapsed } = await waiting;
      expect(elapsed).toBeLessThan(5_000);
      expect(joinedRooms(body)[roomId]?.timeline.events.map((event) => event.event_id)).toContain(eventId);
    });
  });
});
