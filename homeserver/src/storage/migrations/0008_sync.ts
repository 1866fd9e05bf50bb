/**
 * 0008: Sync filters (/user/{userId}/filter) and anything sync itself must persist. One knex schema definition for SQLite and PostgreSQL.
 */
import type { Knex } from 'knex';

export const name = '0008_sync';

export async function up(knex: Knex): Promise<void> {
  // One row per distinct filter of a user: `digest` (sha256 of its canonical JSON) makes re-uploads of the
  // same filter return the same ID instead of growing the table at every client start.
  await knex.schema.createTable('sync_filters', (t) => {
    t.bigIncrements('filter_id').primary();
    t.string('user_id', 255).notNullable();
    t.string('digest', 64).notNullable();
    t.text('filter_json').notNullable();
    t.unique(['user_id', 'digest'], { indexName: 'sync_filters_user_digest_key' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sync_filters');
}
