/**
 * 0005: push rules, notifications, unread counts. One knex schema definition for SQLite and PostgreSQL.
 * https://spec.matrix.org/v1.19/client-server-api/#push-notifications
 */
import type { Knex } from 'knex';

/** Longest identifier the spec allows, in bytes (see 0001_init.ts). */
const ID_LENGTH = 255;

export const name = '0005_push';

export async function up(knex: Knex): Promise<void> {
  // User-defined rules; conditions/actions are JSON text as the push service validated them.
  await knex.schema.createTable('push_rules', (t) => {
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('kind', 16).notNullable();
    t.string('rule_id', ID_LENGTH).notNullable();
    t.integer('priority').notNullable();
    t.boolean('enabled').notNullable();
    t.text('actions').notNullable();
    t.text('conditions').nullable();
    t.text('pattern').nullable();
    t.primary(['user_id', 'kind', 'rule_id']);
  });
  // A user's changes to server-default rules (enabled flag, actions); null keeps the default.
  await knex.schema.createTable('push_rule_default_overrides', (t) => {
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('kind', 16).notNullable();
    t.string('rule_id', ID_LENGTH).notNullable();
    t.boolean('enabled').nullable();
    t.text('actions').nullable();
    t.primary(['user_id', 'kind', 'rule_id']);
  });
  // Where on the account_data stream each user's rules last changed (sync sends m.push_rules then).
  await knex.schema.createTable('push_rules_stream', (t) => {
    t.string('user_id', ID_LENGTH).primary();
    t.bigInteger('position').notNullable();
  });
  // One row per event a user was notified about.
  await knex.schema.createTable('event_push_actions', (t) => {
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('event_id', ID_LENGTH).notNullable();
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('thread_id', ID_LENGTH).notNullable();
    t.bigInteger('stream_ordering').notNullable();
    t.boolean('highlight').notNullable();
    t.text('actions').notNullable();
    t.bigInteger('ts').notNullable();
    t.primary(['user_id', 'event_id']);
    // Unread counts: a user's rows in a room after a position.
    t.index(['user_id', 'room_id', 'stream_ordering'], 'event_push_actions_user_room_idx');
    // GET /notifications: a user's rows newest first.
    t.index(['user_id', 'stream_ordering'], 'event_push_actions_user_stream_idx');
    // Redactions: every user's rows of one event.
    t.index(['event_id'], 'event_push_actions_event_idx');
  });
  // Read positions the push service keeps itself (e.g. from the user's own sent events); '' = unthreaded.
  await knex.schema.createTable('push_read_markers', (t) => {
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('thread_id', ID_LENGTH).notNullable();
    t.bigInteger('stream_ordering').notNullable();
    t.primary(['user_id', 'room_id', 'thread_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'push_read_markers',
    'event_push_actions',
    'push_rules_stream',
    'push_rule_default_overrides',
    'push_rules',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
