/**
 * 0011: The per-device to-device message queue and /sendToDevice transaction IDs. One knex schema definition for
 * SQLite and PostgreSQL.
 * https://spec.matrix.org/v1.19/client-server-api/#send-to-device-messaging
 */
import type { Knex } from 'knex';

/** Longest identifier the spec allows, in bytes (see 0001_init.ts). */
const ID_LENGTH = 255;

export const name = '0011_to_device';

export async function up(knex: Knex): Promise<void> {
  // Messages waiting for a device, until it syncs past them (acknowledges) or is deleted. One request gives each
  // device at most one message, and all of a request's messages share its `to_device` stream position, so the
  // position identifies a message within its device's queue.
  await knex.schema.createTable('to_device_messages', (t) => {
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('device_id', ID_LENGTH).notNullable();
    t.bigInteger('stream_id').notNullable();
    t.string('sender', ID_LENGTH).notNullable();
    t.string('type', ID_LENGTH).notNullable();
    t.text('content_json').notNullable();
    t.primary(['user_id', 'device_id', 'stream_id']);
  });
  // Transaction IDs of /sendToDevice per sending device (or access token): a retry queues nothing new.
  await knex.schema.createTable('to_device_txns', (t) => {
    t.string('user_id', ID_LENGTH).notNullable();
    // `d:<device ID>` or `t:<access token ID>`.
    t.string('scope', ID_LENGTH + 2).notNullable();
    t.string('txn_id', ID_LENGTH).notNullable();
    t.bigInteger('created_ts').notNullable();
    t.primary(['user_id', 'scope', 'txn_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('to_device_txns');
  await knex.schema.dropTableIfExists('to_device_messages');
}
