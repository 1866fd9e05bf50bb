/**
 * 0012: Server-side room key backup versions and sessions. One knex schema definition for SQLite and PostgreSQL.
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-key-backups
 */
import type { Knex } from 'knex';

/** Longest identifier the spec allows, in bytes (user and room IDs). */
const ID_LENGTH = 255;

export const name = '0012_key_backup';

export async function up(knex: Knex): Promise<void> {
  // One row per backup version ever created. The version number is global (an opaque string to clients), so two
  // concurrent creations never race for the same number. A deleted version keeps its row, emptied of auth_data,
  // so deleting it again succeeds and its number is never handed out again.
  await knex.schema.createTable('key_backup_versions', (t) => {
    t.increments('version').primary();
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('algorithm', ID_LENGTH).notNullable();
    t.text('auth_data_json').notNullable();
    // Bumped whenever the version's keys change; served as the opaque `etag`.
    t.bigInteger('etag').notNullable().defaultTo(0);
    t.boolean('deleted').notNullable().defaultTo(false);
    t.bigInteger('created_ts').notNullable();
    t.index(['user_id', 'deleted', 'version'], 'key_backup_versions_user_idx');
  });

  // The backed-up Megolm session keys: ciphertext (`session_data`) the server cannot read, plus the three
  // plaintext fields the replacement rules compare. first_message_index is a uint32, beyond PostgreSQL's integer.
  await knex.schema.createTable('key_backup_sessions', (t) => {
    t.integer('version').notNullable();
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('session_id', ID_LENGTH).notNullable();
    t.bigInteger('first_message_index').notNullable();
    t.bigInteger('forwarded_count').notNullable();
    t.boolean('is_verified').notNullable();
    t.text('session_data_json').notNullable();
    t.primary(['version', 'room_id', 'session_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['key_backup_sessions', 'key_backup_versions']) await knex.schema.dropTableIfExists(table);
}
