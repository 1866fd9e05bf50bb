import { describe, expect, it } from 'vitest';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import { concerns, createWakeDispatcher, watchAdvances } from './wait.js';

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

describe('wake dispatcher', () => {
  it('wakes only the watches of the rooms and users an advance names, once each', async () => {
    const notifier = createMemoryNotifier();
    const dispatcher = createWakeDispatcher(notifier);
    const inRoom = Array.from({ length: 50 }, (_, i) => dispatcher.watch(`@u${i}:hs`));
    for (const watch of inRoom) watch.setRooms(['!busy:hs']);
    const elsewhere = dispatcher.watch('@other:hs');
    elsewhere.setRooms(['!quiet:hs']);
    expect(dispatcher.size()).toBe(51);

    // Named by room and by user at once: still one wake-up, and the advances coalesce until the next wait().
    await notifier.publish({ stream: 'events', position: 1, roomIds: ['!busy:hs'], userIds: ['@u3:hs'] });
    await notifier.publish({ stream: 'events', position: 2, roomIds: ['!busy:hs'] });
    for (const watch of inRoom) expect(await watch.wait(0)).toBe(true);
    for (const watch of inRoom) expect(await watch.wait(0)).toBe(false);
    expect(await elsewhere.wait(0)).toBe(false);

    await notifier.publish({ stream: 'to_device', position: 3, userIds: ['@other:hs'] });
    expect(await elsewhere.wait(0)).toBe(true);
    expect(await inRoom[0]?.wait(0)).toBe(false);
    dispatcher.close();
  });

  it('follows a watch moving rooms and forgets closed watches', async () => {
    const notifier = createMemoryNotifier();
    const dispatcher = createWakeDispatcher(notifier);
    const watch = dispatcher.watch('@a:hs');
    watch.setRooms(['!old:hs']);
    watch.setRooms(['!new:hs']);
    await notifier.publish({ stream: 'events', position: 1, roomIds: ['!old:hs'] });
    expect(await watch.wait(0)).toBe(false);
    await notifier.publish({ stream: 'events', position: 2, roomIds: ['!new:hs'] });
    expect(await watch.wait(0)).toBe(true);
    watch.close();
    expect(dispatcher.size()).toBe(0);
    await notifier.publish({ stream: 'events', position: 3, roomIds: ['!new:hs'] });
    expect(await watch.wait(0)).toBe(false);
    dispatcher.close();
  });

  it('wakes everyone for an advance naming nobody', async () => {
    const notifier = createMemoryNotifier();
    const dispatcher = createWakeDispatcher(notifier);
    const a = dispatcher.watch('@a:hs');
    const b = dispatcher.watch('@b:hs');
    b.setRooms([]);
    await notifier.publish({ stream: 'presence', position: 1 });
    expect(await a.wait(0)).toBe(true);
    expect(await b.wait(0)).toBe(true);
    dispatcher.close();
  });
});
