/**
 * 0024: The counter guest user IDs are numbered from (`@1:server`, `@2:server`, …, as Synapse numbers them). One row
 * per counter, advanced with an upsert, so concurrent guest registrations in any number of processes get distinct
 * numbers. https://spec.matrix.org/v1.19/client-server-api/#guest-access
 */
import type { Knex } from 'knex';

export const name = '0024_guests';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('localpart_counters', (t) => {
    t.string('name', 100).primary();
    t.bigInteger('value').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('localpart_counters');
}
