/**
 * 0014: The size of each device's to-device queue, kept beside the queue so /sendToDevice can bound a backlog
 * (`limits.to_device_backlog_per_device`) without counting the queue on every send. Filled from the queue as it is.
 * https://spec.matrix.org/v1.19/client-server-api/#send-to-device-messaging
 */
import type { Knex } from 'knex';

/** Longest identifier the spec allows, in bytes (see 0001_init.ts). */
const ID_LENGTH = 255;

export const name = '0014_to_device_backlog';

export async function up(knex: Knex): Promise<void> {
  // One row per device with queued messages: how many are queued. Written in the transactions that queue, deliver
  // (acknowledge) or drop messages, so it always equals the count of the device's rows in to_device_messages.
  await knex.schema.createTable('to_device_queue_sizes', (t) => {
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('device_id', ID_LENGTH).notNullable();
    t.integer('size').notNullable();
    t.primary(['user_id', 'device_id']);
  });
  await knex('to_device_queue_sizes').insert(
    knex('to_device_messages').select('user_id', 'device_id').count({ size: '*' }).groupBy('user_id', 'device_id'),
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('to_device_queue_sizes');
}
