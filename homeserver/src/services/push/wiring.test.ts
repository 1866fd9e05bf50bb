/**
 * Push as the registry wires it: real rooms events (createRoom, join, send) flow through `onEventPersisted` into
 * notification counts, and a real read receipt resets them.
 */
import { expect, it } from 'vitest';
import { generateSigningKey } from '@parley/federation';
import { manualClock } from '../../clock.js';
import { validateConfig } from '../../config/load.js';
import { silentLogger } from '../../log.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { uniqueId } from '../../storage/testing/fixtures.js';
import { createServices, type Services } from '../registry.js';

const SERVER = 'push.test';

forEachDatabase('push wired into rooms and receipts', (getStorage) => {
  function services(): Services {
    return createServices({
      config: validateConfig({ server_name: SERVER }, { baseDir: '/tmp' }),
      storage: getStorage(),
      notifier: createMemoryNotifier(),
      clock: manualClock(1_700_000_000_000),
      logger: silentLogger(),
      serverName: SERVER,
      signingKey: generateSigningKey(),
    });
  }

  it('notifies joined members of a message, highlights a mention, and resets on m.read', async () => {
    const { rooms, push, receipts } = services();
    const [alice, bob] = [uniqueId('@', SERVER), uniqueId('@', SERVER)];
    const requester = (userId: string) => ({ userId, deviceId: 'DEV', accessTokenId: 1 });
    const { roomId } = await rooms.createRoom(requester(bob), { preset: 'public_chat' });
    await rooms.join(requester(alice), roomId);
    await rooms.sendMessage(requester(bob), roomId, 'm.room.message', 't1', { msgtype: 'm.text', body: 'hi' });
    const { eventId } = await rooms.sendMessage(requester(bob), roomId, 'm.room.message', 't2', {
      msgtype: 'm.text',
      body: 'hey you',
      'm.mentions': { user_ids: [alice] },
    });

    expect((await push.getUnreadCounts(alice, [roomId])).get(roomId)?.total).toEqual({ notification_count: 2, highlight_count: 1 });
    expect((await push.getUnreadCounts(bob, [roomId])).get(roomId)?.total).toEqual({ notification_count: 0, highlight_count: 0 });
    const page = await push.getNotifications(alice, {});
    expect(page.notifications.map((n) => [n.event.event_id, n.event.room_id, n.read])).toEqual([
      [eventId, roomId, false],
      [expect.any(String), roomId, false],
    ]);

    await receipts.sendReceipt(alice, roomId, 'm.read', eventId);
    expect((await push.getUnreadCounts(alice, [roomId])).get(roomId)?.total).toEqual({ notification_count: 0, highlight_count: 0 });
  });
});
