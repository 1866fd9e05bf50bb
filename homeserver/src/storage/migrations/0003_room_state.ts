/**
 * 0003: state snapshots, memberships, client transaction IDs, aliases, redaction retention.
 * One knex schema definition for SQLite and PostgreSQL.
 *
 * State snapshots ("state groups") are stored as deltas from a parent with a bounded chain: a group row
 * lists its ancestors (`chain`, at most MAX_STATE_CHAIN ids, base first), and `state_group_entries` holds
 * only what the group changes relative to its parent (`event_id` null = key removed). A group whose
 * chain would grow past the bound is stored in full and starts a new chain. A message event creates no
 * group at all: it points at the group of the state before it.
 */
import type { Knex } from 'knex';

const ID_LENGTH = 255;

export const name = '0003_room_state';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('state_groups', (t) => {
    t.bigIncrements('id').primary();
    t.string('room_id', ID_LENGTH).notNullable();
    // Ancestor group ids as a JSON array, base first (empty for a full snapshot): read in one query.
    t.text('chain').notNullable();
    t.index(['room_id'], 'state_groups_room_idx');
  });
  await knex.schema.createTable('state_group_entries', (t) => {
    t.bigInteger('group_id').notNullable().references('id').inTable('state_groups').onDelete('CASCADE');
    t.string('type', ID_LENGTH).notNullable();
    t.string('state_key', ID_LENGTH).notNullable();
    // Null: the key is removed relative to the parent group.
    t.string('event_id', ID_LENGTH).nullable();
    t.primary(['group_id', 'type', 'state_key']);
  });
  // The state before and after each event (equal for message and rejected events).
  await knex.schema.createTable('event_state', (t) => {
    t.string('event_id', ID_LENGTH).primary();
    t.string('room_id', ID_LENGTH).notNullable();
    t.bigInteger('before_group').notNullable();
    t.bigInteger('after_group').notNullable();
    // For state events: the state event this one replaced (serves unsigned.prev_content).
    t.string('replaces_event_id', ID_LENGTH).nullable();
  });

  await knex.schema.createTable('room_memberships', (t) => {
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('membership', 16).notNullable();
    t.string('event_id', ID_LENGTH).notNullable();
    t.string('sender', ID_LENGTH).notNullable();
    t.bigInteger('stream_ordering').notNullable();
    t.text('displayname').nullable();
    t.text('avatar_url').nullable();
    t.boolean('forgotten').notNullable().defaultTo(false);
    t.primary(['room_id', 'user_id']);
    t.index(['user_id', 'membership'], 'room_memberships_user_idx');
    t.index(['room_id', 'membership'], 'room_memberships_room_idx');
  });
  // Every membership change with its stream position: what sync asks "what changed since N" of.
  await knex.schema.createTable('room_membership_changes', (t) => {
    t.bigInteger('stream_ordering').notNullable();
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('membership', 16).notNullable();
    t.string('previous', 16).nullable();
    t.string('event_id', ID_LENGTH).notNullable();
    t.string('sender', ID_LENGTH).notNullable();
    t.primary(['user_id', 'stream_ordering', 'room_id']);
  });

  await knex.schema.createTable('room_txn_ids', (t) => {
    // Device ID or access token ID of the sender: transaction IDs are scoped to it.
    t.string('scope', ID_LENGTH).notNullable();
    t.string('txn_id', ID_LENGTH).notNullable();
    t.string('event_id', ID_LENGTH).notNullable();
    t.string('room_id', ID_LENGTH).notNullable();
    t.bigInteger('created_ts').notNullable();
    t.primary(['scope', 'txn_id']);
    t.index(['event_id'], 'room_txn_ids_event_idx');
  });

  await knex.schema.createTable('room_aliases', (t) => {
    t.string('alias', ID_LENGTH).primary();
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('creator', ID_LENGTH).notNullable();
    t.bigInteger('created_ts').notNullable();
    t.index(['room_id'], 'room_aliases_room_idx');
  });

  // Redacted events whose original JSON is still kept for admins until purge_after_ts.
  await knex.schema.createTable('redaction_retention', (t) => {
    t.string('event_id', ID_LENGTH).primary();
    t.string('redaction_event_id', ID_LENGTH).notNullable();
    t.bigInteger('purge_after_ts').notNullable();
    t.index(['purge_after_ts'], 'redaction_retention_purge_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'redaction_retention',
    'room_aliases',
    'room_txn_ids',
    'room_membership_changes',
    'room_memberships',
    'event_state',
    'state_group_entries',
    'state_groups',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
