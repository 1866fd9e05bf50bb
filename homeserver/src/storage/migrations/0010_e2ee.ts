/**
 * 0010: Device keys, one-time and fallback keys, cross-signing keys and signatures, device-list change log. One knex
 * schema definition for SQLite and PostgreSQL. Key objects are kept as the JSON text the client uploaded (signed
 * objects must come back byte-for-byte equivalent); only the columns the server queries by are split out.
 * https://spec.matrix.org/v1.19/client-server-api/#end-to-end-encryption
 */
import type { Knex } from 'knex';

/** Longest identifier the spec allows, in bytes (see 0001_init.ts). */
const ID_LENGTH = 255;

export const name = '0010_e2ee';

export async function up(knex: Knex): Promise<void> {
  // A device's identity keys (`device_keys` of /keys/upload), self-signed. One row per device; never changed once set.
  await knex.schema.createTable('e2e_device_keys', (t) => {
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('device_id', ID_LENGTH).notNullable();
    t.text('key_json').notNullable();
    t.bigInteger('added_ts').notNullable();
    t.primary(['user_id', 'device_id']);
  });
  // Unclaimed one-time keys; a claim deletes the row. `added_ts` orders claims oldest first.
  await knex.schema.createTable('e2e_one_time_keys', (t) => {
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('device_id', ID_LENGTH).notNullable();
    t.string('algorithm', ID_LENGTH).notNullable();
    t.string('key_id', ID_LENGTH).notNullable();
    t.text('key_json').notNullable();
    t.bigInteger('added_ts').notNullable();
    t.primary(['user_id', 'device_id', 'algorithm', 'key_id']);
    t.index(['user_id', 'device_id', 'algorithm', 'added_ts'], 'e2e_one_time_keys_claim_idx');
  });
  // At most one fallback key per (device, algorithm); `used` once a claim handed it out.
  await knex.schema.createTable('e2e_fallback_keys', (t) => {
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('device_id', ID_LENGTH).notNullable();
    t.string('algorithm', ID_LENGTH).notNullable();
    t.string('key_id', ID_LENGTH).notNullable();
    t.text('key_json').notNullable();
    t.boolean('used').notNullable().defaultTo(false);
    t.primary(['user_id', 'device_id', 'algorithm']);
  });
  // The current master / self_signing / user_signing key of each user.
  await knex.schema.createTable('e2e_cross_signing_keys', (t) => {
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('key_type', 32).notNullable();
    t.text('key_json').notNullable();
    t.bigInteger('added_ts').notNullable();
    t.primary(['user_id', 'key_type']);
  });
  // Signatures uploaded through /keys/signatures/upload: on a device key (target_key_id = device ID) or on a
  // cross-signing key (target_key_id = its unpadded base64 public key).
  await knex.schema.createTable('e2e_signatures', (t) => {
    t.string('target_user_id', ID_LENGTH).notNullable();
    t.string('target_key_id', ID_LENGTH).notNullable();
    t.string('signer_user_id', ID_LENGTH).notNullable();
    t.string('signer_key_id', ID_LENGTH).notNullable();
    t.text('signature').notNullable();
    t.primary(['target_user_id', 'target_key_id', 'signer_user_id', 'signer_key_id']);
  });
  // The `device_lists` stream: one row per change of a user's devices or keys (room_id null), or of a user's
  // membership in a room (room_id and membership set), at its stream position.
  await knex.schema.createTable('e2e_device_list_changes', (t) => {
    t.bigInteger('stream_id').notNullable();
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('room_id', ID_LENGTH).nullable();
    t.string('membership', 16).nullable();
    t.index(['stream_id'], 'e2e_device_list_changes_stream_idx');
    t.index(['user_id', 'stream_id'], 'e2e_device_list_changes_user_idx');
    t.index(['room_id', 'stream_id'], 'e2e_device_list_changes_room_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'e2e_device_list_changes',
    'e2e_signatures',
    'e2e_cross_signing_keys',
    'e2e_fallback_keys',
    'e2e_one_time_keys',
    'e2e_device_keys',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
