/**
 * 0004: typing, receipts (incl. MSC4089 delivery receipts), presence. One knex schema definition for SQLite and
 * PostgreSQL. Everything lives in the database so every process of a deployment sees the same ephemeral state.
 */
import type { Knex } from 'knex';

/** Longest identifier the spec allows, in bytes (see 0001_init.ts). */
const ID_LENGTH = 255;

export const name = '0004_ephemeral';

export async function up(knex: Knex): Promise<void> {
  await createTypingTables(knex);
  await createReceiptTables(knex);
  await createPresenceTable(knex);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['presence', 'delivery_receipts', 'receipts', 'typing_rooms', 'typing']) {
    await knex.schema.dropTableIfExists(table);
  }
}

async function createTypingTables(knex: Knex): Promise<void> {
  // Who is typing where, until when. Rows past expires_ts are ignored by readers and swept by a timer.
  await knex.schema.createTable('typing', (t) => {
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('user_id', ID_LENGTH).notNullable();
    t.bigInteger('expires_ts').notNullable();
    t.primary(['room_id', 'user_id']);
    t.index(['expires_ts'], 'typing_expires_idx');
  });
  // The `typing` stream position of each room's last change of its typing list: sync asks "which rooms changed".
  await knex.schema.createTable('typing_rooms', (t) => {
    t.string('room_id', ID_LENGTH).primary();
    t.bigInteger('stream_id').notNullable();
    t.index(['stream_id'], 'typing_rooms_stream_idx');
  });
}

async function createReceiptTables(knex: Knex): Promise<void> {
  // Linearised receipts (m.read, m.read.private): one event per (room, type, user, thread).
  // thread_id '' stands for "unthreaded" so it can take part in the primary key on both dialects.
  await knex.schema.createTable('receipts', (t) => {
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('receipt_type', ID_LENGTH).notNullable();
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('thread_id', ID_LENGTH).notNullable();
    t.string('event_id', ID_LENGTH).notNullable();
    // The receipted event's `events` stream position: receipts only move forward by it.
    t.bigInteger('event_stream_ordering').notNullable();
    t.bigInteger('ts').notNullable();
    t.bigInteger('stream_id').notNullable();
    t.primary(['room_id', 'receipt_type', 'user_id', 'thread_id']);
    t.index(['room_id', 'stream_id'], 'receipts_room_stream_idx');
    t.index(['user_id', 'room_id'], 'receipts_user_room_idx');
  });
  // MSC4089 delivery receipts: one per (event, recipient), visible only to the event's sender.
  await knex.schema.createTable('delivery_receipts', (t) => {
    t.string('event_id', ID_LENGTH).notNullable();
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('event_sender', ID_LENGTH).notNullable();
    t.bigInteger('ts').notNullable();
    t.bigInteger('stream_id').notNullable();
    t.primary(['event_id', 'user_id']);
    t.index(['event_sender', 'stream_id'], 'delivery_receipts_sender_stream_idx');
  });
}

async function createPresenceTable(knex: Knex): Promise<void> {
  await knex.schema.createTable('presence', (t) => {
    t.string('user_id', ID_LENGTH).primary();
    t.string('state', 32).notNullable();
    t.text('status_msg').nullable();
    t.bigInteger('last_active_ts').notNullable();
    // Last /sync that kept the user online (null when never synced): the offline timeout reads it.
    t.bigInteger('last_sync_ts').nullable();
    t.bigInteger('stream_id').notNullable();
    t.index(['stream_id'], 'presence_stream_idx');
    t.index(['state', 'last_active_ts'], 'presence_state_active_idx');
  });
}
