import { expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import { uniqueId } from '../testing/fixtures.js';
import { migrationSource } from './index.js';

forEachDatabase('migration 0017_push_counters', (getStorage, under) => {
  it('seeds the joined members of existing rooms from their membership event and keeps old notification rows counting', async () => {
    const { knex } = under.database();
    await knex.migrate.down({ migrationSource, name: '0017_push_counters' });
    expect(await knex.schema.hasTable('push_member_changes')).toBe(false);
    const [joined, left, room] = [uniqueId('@'), uniqueId('@'), uniqueId('!')];
    const membership = (userId: string, state: string, streamOrdering: number) => ({
      room_id: room,
      user_id: userId,
      membership: state,
      event_id: uniqueId('$'),
      sender: userId,
      stream_ordering: streamOrdering,
    });
    await knex('room_memberships').insert([membership(joined, 'join', 7), membership(left, 'leave', 9)]);
    await knex('event_push_actions').insert({
      user_id: joined, event_id: uniqueId('$'), room_id: room, thread_id: 'main', stream_ordering: 8, highlight: false, actions: '["notify"]', ts: 1,
    });
    await knex.migrate.latest({ migrationSource });

    const { push } = getStorage();
    expect(await push.getMemberChanges(joined)).toEqual([{ roomId: room, streamOrdering: 7, joined: true }]);
    expect(await push.getMemberChanges(left)).toEqual([]);
    expect(await push.countNotifications(joined, [{ roomId: room, after: 0 }])).toEqual([{ roomId: room, threadId: 'main', notifications: 1, highlights: 0 }]);
  });
});
