/**
 * 0002: accounts, devices, access and refresh tokens (hashed), UIA sessions and registration tokens.
 * One knex schema definition for SQLite and PostgreSQL. Account data, profiles and filters live in 0007/0008.
 */
import type { Knex } from 'knex';

/** Longest identifier the spec allows, in bytes. */
const ID_LENGTH = 255;

export const name = '0002_accounts';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.string('user_id', ID_LENGTH).primary();
    // scrypt hash with its parameters (see services/accounts/password.ts); null: no password login.
    t.text('password_hash').nullable();
    t.bigInteger('created_ts').notNullable();
    t.boolean('is_guest').notNullable().defaultTo(false);
    t.boolean('is_admin').notNullable().defaultTo(false);
    t.bigInteger('deactivated_ts').nullable();
  });

  await knex.schema.createTable('devices', (t) => {
    t.string('user_id', ID_LENGTH).notNullable().references('user_id').inTable('users').onDelete('CASCADE');
    t.string('device_id', ID_LENGTH).notNullable();
    t.text('display_name').nullable();
    t.bigInteger('created_ts').notNullable();
    t.bigInteger('last_seen_ts').nullable();
    t.string('last_seen_ip', 64).nullable();
    t.text('last_seen_user_agent').nullable();
    t.primary(['user_id', 'device_id']);
  });

  // Tokens are stored as the hex SHA-256 of the token: a database leak gives no usable token.
  await knex.schema.createTable('refresh_tokens', (t) => {
    t.increments('id').primary();
    t.string('token_hash', 64).notNullable().unique('refresh_tokens_hash_key');
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('device_id', ID_LENGTH).notNullable();
    t.bigInteger('created_ts').notNullable();
    // Set once this token was exchanged: the successor it was exchanged for.
    t.integer('next_token_id').nullable();
    t.index(['user_id', 'device_id'], 'refresh_tokens_device_idx');
  });

  await knex.schema.createTable('access_tokens', (t) => {
    t.increments('id').primary();
    t.string('token_hash', 64).notNullable().unique('access_tokens_hash_key');
    t.string('user_id', ID_LENGTH).notNullable();
    t.string('device_id', ID_LENGTH).nullable();
    t.bigInteger('created_ts').notNullable();
    t.bigInteger('expires_ts').nullable();
    t.integer('refresh_token_id').nullable();
    // False until first used: the first use retires the refresh token this one replaced.
    t.boolean('used').notNullable().defaultTo(false);
    t.index(['user_id', 'device_id'], 'access_tokens_device_idx');
  });

  await knex.schema.createTable('uia_sessions', (t) => {
    t.string('session_id', 64).primary();
    // "METHOD /path" the session was started for: a session cannot authorise another operation.
    t.text('operation').notNullable();
    t.string('user_id', ID_LENGTH).nullable();
    t.text('completed_json').notNullable();
    // Stage results (e.g. the registration token used), JSON object.
    t.text('data_json').notNullable();
    t.bigInteger('created_ts').notNullable();
    t.index(['created_ts'], 'uia_sessions_created_idx');
  });

  await knex.schema.createTable('registration_tokens', (t) => {
    t.string('token', 64).primary();
    t.integer('uses_allowed').nullable();
    t.integer('pending').notNullable().defaultTo(0);
    t.integer('completed').notNullable().defaultTo(0);
    t.bigInteger('expiry_ts').nullable();
    t.bigInteger('created_ts').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['registration_tokens', 'uia_sessions', 'access_tokens', 'refresh_tokens', 'devices', 'users']) {
    await knex.schema.dropTableIfExists(table);
  }
}
