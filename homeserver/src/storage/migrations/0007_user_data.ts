/**
 * 0007: Account data (global and per room, incl. tags), profiles, reports. One knex schema definition for
 * SQLite and PostgreSQL. The user directory has no table of its own: it is computed from profiles and the
 * rooms domain's memberships at query time.
 */
import type { Knex } from 'knex';

/** Longest identifier the spec allows, in bytes (user/room/event IDs, event types). */
const ID_LENGTH = 255;

export const name = '0007_user_data';

export async function up(knex: Knex): Promise<void> {
  // One row per user with a profile. displayname and avatar_url have their own columns so the user directory
  // can search them; every other field (m.tz, custom namespaced keys) lives in extra_json.
  await knex.schema.createTable('profiles', (t) => {
    t.string('user_id', ID_LENGTH).primary();
    t.text('displayname').nullable();
    t.text('avatar_url').nullable();
    t.text('extra_json').notNullable().defaultTo('{}');
    t.bigInteger('updated_ts').notNullable();
  });

  // Account data, global (room_id '') and per room. Only the latest content per (user, room, type) is kept,
  // stamped with the `account_data` stream position of its last change: sync reads rows above its token.
  await knex.schema.createTable('account_data', (t) => {
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('type', ID_LENGTH).notNullable();
    t.text('content_json').notNullable();
    t.bigInteger('stream_position').notNullable();
    t.primary(['user_id', 'room_id', 'type']);
    t.index(['user_id', 'stream_position'], 'account_data_user_stream_idx');
  });

  // Reports of events, rooms and users, kept for the server's admins.
  await knex.schema.createTable('content_reports', (t) => {
    t.increments('report_id').primary();
    t.string('kind', 16).notNullable();
    t.string('reporter_id', ID_LENGTH).notNullable();
    t.string('room_id', ID_LENGTH).nullable();
    t.string('event_id', ID_LENGTH).nullable();
    t.string('target_user_id', ID_LENGTH).nullable();
    t.text('reason').nullable();
    t.integer('score').nullable();
    t.bigInteger('received_ts').notNullable();
    t.index(['received_ts'], 'content_reports_received_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['content_reports', 'account_data', 'profiles']) await knex.schema.dropTableIfExists(table);
}
