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
import { createTypingService, type TypingService } from './index.js';

interface Fixture {
  typing: TypingService;
  clock: ManualClock;
  published: StreamAdvance[];
  roomId: string;
  alice: string;
  bob: string;
}

function setUp(storage: Storage): Fixture {
  const clock = manualClock(1_700_000_000_000);
  const notifier = createMemoryNotifier();
  const published: StreamAdvance[] = [];
  notifier.subscribe((advance) => published.push(advance));
  const roomId = uniqueId('!');
  const [alice, bob] = [uniqueId('@'), uniqueId('@')];
  const joined = new Set([`${alice}|${roomId}`, `${bob}|${roomId}`]);
  const deps = {
    config: {} as Config,
    storage,
    notifier,
    clock,
    logger: createLogger({ level: 'silent' }),
    serverName: 'test.example',
    signingKey: generateSigningKey(),
  };
  const typing = createTypingService(deps, { isJoined: async (userId, room) => joined.has(`${userId}|${room}`) }, { sweepIntervalMs: 0 });
  return { typing, clock, published, roomId, alice, bob };
}

async function expectMatrixError(promise: Promise<unknown>, status: number, errcode: string): Promise<void> {
  const error: unknown = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(MatrixError);
  expect((error as MatrixError).status).toBe(status);
  expect((error as MatrixError).errcode).toBe(errcode);
}

forEachDatabase('typing service', (getStorage) => {
  describe('setTyping', () => {
    it('refuses to set another user typing or typing in a room one is not joined to', async () => {
      const { typing, roomId, alice, bob } = setUp(getStorage());
      await expectMatrixError(typing.setTyping(alice, roomId, bob, { typing: true, timeout: 1000 }), 403, 'M_FORBIDDEN');
      await expectMatrixError(typing.setTyping(alice, uniqueId('!'), alice, { typing: true }), 403, 'M_FORBIDDEN');
      expect(await typing.getTypingUsers(roomId)).toEqual([]);
    });

    it('bumps the stream when the list changes, not on a refresh, and publishes to the room', async () => {
      const { typing, published, roomId, alice, bob } = setUp(getStorage());
      const start = await typing.currentPosition();
      await typing.setTyping(alice, roomId, alice, { typing: true, timeout: 30_000 });
      const afterAlice = await typing.currentPosition();
      expect(afterAlice).toBeGreaterThan(start);
      expect(published.at(-1)).toEqual({ stream: 'typing', position: afterAlice, roomIds: [roomId] });

      await typing.setTyping(alice, roomId, alice, { typing: true, timeout: 30_000 });
      expect(await typing.currentPosition()).toBe(afterAlice);

      await typing.setTyping(bob, roomId, bob, { typing: true });
      const updates = await typing.getChanges(alice, afterAlice, await typing.currentPosition(), [roomId]);
      expect(updates).toEqual([{ roomId, event: { type: 'm.typing', content: { user_ids: [alice, bob].sort() } } }]);

      const beforeStop = await typing.currentPosition();
      await typing.setTyping(alice, roomId, alice, { typing: false });
      const stopped = await typing.getChanges(bob, beforeStop, await typing.currentPosition(), [roomId]);
      expect(stopped[0]?.event.content.user_ids).toEqual([bob]);
      // Stopping when not typing changes nothing.
      const position = await typing.currentPosition();
      await typing.setTyping(alice, roomId, alice, { typing: false });
      expect(await typing.currentPosition()).toBe(position);
    });
  });

  describe('expiry', () => {
    it('expires typing after the timeout and tells syncing clients', async () => {
      const { typing, clock, roomId, alice } = setUp(getStorage());
      await typing.setTyping(alice, roomId, alice, { typing: true, timeout: 10_000 });
      const typingPosition = await typing.currentPosition();
      clock.advance(9_999);
      expect(await typing.getTypingUsers(roomId)).toEqual([alice]);
      clock.advance(1);
      expect(await typing.getTypingUsers(roomId)).toEqual([]);

      expect(await typing.expireTyping()).toBeGreaterThanOrEqual(1);
      const afterExpiry = await typing.currentPosition();
      expect(afterExpiry).toBeGreaterThan(typingPosition);
      expect(await typing.getChanges(alice, typingPosition, afterExpiry, [roomId])).toEqual([
        { roomId, event: { type: 'm.typing', content: { user_ids: [] } } },
      ]);
    });

    it('caps the timeout at 120 seconds', async () => {
      const { typing, clock, roomId, alice } = setUp(getStorage());
      await typing.setTyping(alice, roomId, alice, { typing: true, timeout: 3_600_000 });
      clock.advance(119_999);
      expect(await typing.getTypingUsers(roomId)).toEqual([alice]);
      clock.advance(1);
      expect(await typing.getTypingUsers(roomId)).toEqual([]);
    });

    it('leaves rooms where nobody types out of an initial sync', async () => {
      const { typing, clock, roomId, alice } = setUp(getStorage());
      await typing.setTyping(alice, roomId, alice, { typing: true, timeout: 1_000 });
      const to = await typing.currentPosition();
      expect(await typing.getChanges(alice, 0, to, [roomId])).toHaveLength(1);
      clock.advance(1_000);
      expect(await typing.getChanges(alice, 0, to, [roomId])).toEqual([]);
    });
  });
});
