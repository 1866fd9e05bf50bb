/**
 * 0017: notification counts O(1) per message. One row per event for what most of a room's members get
 * (`push_event_summaries`), per-user rows in `event_push_actions` only where a user's outcome differs
 * (`notify` false: this user is not notified by that event), and the stream-ordered membership of local users
 * (`push_member_changes`) that tells who a summary row counts for.
 * https://spec.matrix.org/v1.19/client-server-api/#receiving-notifications
 */
import type { Knex } from 'knex';

/** Longest identifier the spec allows, in bytes (see 0001_init.ts). */
const ID_LENGTH = 255;

export const name = '0017_push_counters';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('push_event_summaries', (t) => {
    t.string('event_id', ID_LENGTH).primary();
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('thread_id', ID_LENGTH).notNullable();
    t.bigInteger('stream_ordering').notNullable();
    // Never counted for its own sender.
    t.string('sender', ID_LENGTH).notNullable();
    t.boolean('highlight').notNullable();
    t.text('actions').notNullable();
    t.bigInteger('ts').notNullable();
    // Unread counts: a room's rows after a position.
    t.index(['room_id', 'stream_ordering'], 'push_event_summaries_room_idx');
  });
  await knex.schema.alterTable('event_push_actions', (t) => {
    t.boolean('notify').notNullable().defaultTo(true);
  });
  await knex.schema.createTable('push_member_changes', (t) => {
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('room_id', ID_LENGTH).notNullable();
    t.bigInteger('stream_ordering').notNullable();
    t.boolean('joined').notNullable();
    t.primary(['user_id', 'room_id', 'stream_ordering']);
  });
  // Rooms joined before this migration: their members are joined from their membership event on.
  await knex.raw(
    'INSERT INTO push_member_changes (user_id, room_id, stream_ordering, joined) ' +
      'SELECT user_id, room_id, stream_ordering, ? FROM room_memberships WHERE membership = ?',
    [true, 'join'],
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('push_member_changes');
  await knex.schema.alterTable('event_push_actions', (t) => {
    t.dropColumn('notify');
  });
  await knex.schema.dropTableIfExists('push_event_summaries');
}
