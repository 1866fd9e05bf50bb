/**
 * 0008: Sync filters (/user/{userId}/filter) and anything sync itself must persist. One knex schema definition for SQLite and PostgreSQL.
 */
import type { Knex } from 'knex';

export const name = '0008_sync';

export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
