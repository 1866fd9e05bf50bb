import { describe, expect, it } from 'vitest';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import { concerns, watchAdvances } from './wait.js';

describe('long-poll relevance', () => {
  const rooms = new Set(['!mine:hs']);

  it('concerns the user named, their rooms, and advances naming nobody', () => {
    expect(concerns({ stream: 'events', position: 1, roomIds: ['!mine:hs'] }, '@a:hs', rooms)).toBe(true);
    expect(concerns({ stream: 'account_data', position: 1, userIds: ['@a:hs'] }, '@a:hs', rooms)).toBe(true);
    expect(concerns({ stream: 'presence', position: 1 }, '@a:hs', rooms)).toBe(true);
    expect(concerns({ stream: 'events', position: 1, roomIds: ['!other:hs'] }, '@a:hs', rooms)).toBe(false);
    expect(concerns({ stream: 'to_device', position: 1, userIds: ['@b:hs'] }, '@a:hs', rooms)).toBe(false);
  });
});

describe('advance watch', () => {
  it('remembers an advance that came before wait() and resolves at once', async () => {
    const notifier = createMemoryNotifier();
    const watch = watchAdvances(notifier, '@a:hs');
    watch.setRooms(['!r:hs']);
    await notifier.publish({ stream: 'events', position: 1, roomIds: ['!r:hs'] });
    expect(await watch.wait(10_000)).toBe(true);
    watch.close();
  });

  it('keeps any advance that lands before the rooms are known (the first computation is still running)', async () => {
    const notifier = createMemoryNotifier();
    const watch = watchAdvances(notifier, '@a:hs');
    await notifier.publish({ stream: 'events', position: 1, roomIds: ['!not-yet-known:hs'] });
    watch.setRooms(['!not-yet-known:hs']);
    expect(await watch.wait(10_000)).toBe(true);
    watch.close();
  });

  it('wakes on a relevant advance, ignores others, and times out', async () => {
    const notifier = createMemoryNotifier();
    const watch = watchAdvances(notifier, '@a:hs');
    watch.setRooms(['!r:hs']);
    const waiting = watch.wait(5_000);
    await notifier.publish({ stream: 'events', position: 1, roomIds: ['!elsewhere:hs'] });
    await notifier.publish({ stream: 'typing', position: 2, roomIds: ['!r:hs'] });
    expect(await waiting).toBe(true);
    const started = Date.now();
    await notifier.publish({ stream: 'events', position: 3, roomIds: ['!elsewhere:hs'] });
    expect(await watch.wait(100)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    watch.close();
  });

  it('stops waiting when aborted and stops listening when closed', async () => {
    const notifier = createMemoryNotifier();
    const watch = watchAdvances(notifier, '@a:hs');
    const controller = new AbortController();
    const waiting = watch.wait(10_000, controller.signal);
    controller.abort();
    expect(await waiting).toBe(false);
    watch.close();
    await notifier.publish({ stream: 'account_data', position: 1, userIds: ['@a:hs'] });
    expect(await watch.wait(0)).toBe(false);
  });
});
