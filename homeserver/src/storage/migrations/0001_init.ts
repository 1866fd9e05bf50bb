/**
 * 0001: the foundation tables. One knex schema definition for SQLite and PostgreSQL.
 *
 * Identifier columns are `varchar(255)`: the spec caps room, event and user IDs, event types and
 * state keys at 255 bytes, which is never more than 255 characters.
 * https://spec.matrix.org/v1.19/client-server-api/#size-limits
 * Timestamps are milliseconds (`bigint`). Events keep their PDU JSON as text, exactly as accepted.
 */
import type { Knex } from 'knex';

/** Longest identifier the spec allows, in bytes. */
const ID_LENGTH = 255;

export const name = '0001_init';

export async function up(knex: Knex): Promise<void> {
  await createKeyTables(knex);
  await createStreamPositions(knex);
  await createRoomTables(knex);
  await createEventTables(knex);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'current_state_events',
    'room_forward_extremities',
    'event_auth_edges',
    'event_edges',
    'events',
    'rooms',
    'stream_positions',
    'remote_server_keys',
    'server_signing_keys',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}

async function createKeyTables(knex: Knex): Promise<void> {
  // Our own keys: public halves, so /_matrix/key/v2/server can list current and old_verify_keys.
  await knex.schema.createTable('server_signing_keys', (t) => {
    t.string('key_id', ID_LENGTH).primary();
    t.text('public_key').notNullable();
    t.bigInteger('valid_until_ts').notNullable();
    t.bigInteger('expired_ts').nullable();
  });
  // Other servers' keys; response_json keeps the signed response for serving as a notary.
  await knex.schema.createTable('remote_server_keys', (t) => {
    t.string('server_name', ID_LENGTH).notNullable();
    t.string('key_id', ID_LENGTH).notNullable();
    t.text('public_key').notNullable();
    t.bigInteger('valid_until_ts').notNullable();
    t.bigInteger('expired_ts').nullable();
    t.bigInteger('fetched_ts').notNullable();
    t.text('response_json').nullable();
    t.primary(['server_name', 'key_id']);
  });
}

async function createStreamPositions(knex: Knex): Promise<void> {
  // One row per stream; incremented under its row lock so positions commit in order (see
  // stream-positions.repo.ts). Rows are created on first use.
  await knex.schema.createTable('stream_positions', (t) => {
    t.string('stream', 64).primary();
    t.bigInteger('position').notNullable();
  });
}

async function createRoomTables(knex: Knex): Promise<void> {
  await knex.schema.createTable('rooms', (t) => {
    t.string('room_id', ID_LENGTH).primary();
    t.string('room_version', 32).notNullable();
    t.string('creator', ID_LENGTH).notNullable();
    t.boolean('is_public').notNullable().defaultTo(false);
    t.index(['is_public'], 'rooms_is_public_idx');
  });
}

async function createEventTables(knex: Knex): Promise<void> {
  // No foreign key from events to rooms: outliers (invites, fetched auth events) can belong to rooms
  // we hold no row for.
  await knex.schema.createTable('events', (t) => {
    t.string('event_id', ID_LENGTH).primary();
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('type', ID_LENGTH).notNullable();
    t.string('state_key', ID_LENGTH).nullable();
    t.string('sender', ID_LENGTH).notNullable();
    t.bigInteger('depth').notNullable();
    t.bigInteger('origin_server_ts').notNullable();
    t.bigInteger('stream_ordering').notNullable().unique('events_stream_ordering_key');
    t.text('json').notNullable();
    t.text('rejected_reason').nullable();
    t.boolean('outlier').notNullable().defaultTo(false);
    t.string('redacted_by', ID_LENGTH).nullable();
    // Timeline pages and sync: a room's events by position.
    t.index(['room_id', 'stream_ordering'], 'events_room_stream_idx');
    // Backfill and /context walk a room by depth.
    t.index(['room_id', 'depth'], 'events_room_depth_idx');
  });

  // prev_event_id / auth_event_id have no foreign key: a PDU may reference events we do not hold yet.
  await knex.schema.createTable('event_edges', (t) => {
    t.string('event_id', ID_LENGTH).notNullable().references('event_id').inTable('events').onDelete('CASCADE');
    t.string('prev_event_id', ID_LENGTH).notNullable();
    t.primary(['event_id', 'prev_event_id']);
    // "Which events point at this one": extremity updates and gap filling.
    t.index(['prev_event_id'], 'event_edges_prev_idx');
  });
  await knex.schema.createTable('event_auth_edges', (t) => {
    t.string('event_id', ID_LENGTH).notNullable().references('event_id').inTable('events').onDelete('CASCADE');
    t.string('auth_event_id', ID_LENGTH).notNullable();
    t.primary(['event_id', 'auth_event_id']);
    t.index(['auth_event_id'], 'event_auth_edges_auth_idx');
  });

  await knex.schema.createTable('room_forward_extremities', (t) => {
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('event_id', ID_LENGTH).notNullable();
    t.primary(['room_id', 'event_id']);
  });

  await knex.schema.createTable('current_state_events', (t) => {
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('type', ID_LENGTH).notNullable();
    t.string('state_key', ID_LENGTH).notNullable();
    t.string('event_id', ID_LENGTH).notNullable();
    t.primary(['room_id', 'type', 'state_key']);
    t.index(['event_id'], 'current_state_events_event_idx');
  });
}
