/**
 * 0016: Leases on background jobs (sweeps, purges), so that with several processes on one database exactly one
 * runs each job. A row per job: who holds it and until when; the holder renews it, anyone takes it once expired.
 */
import type { Knex } from 'knex';

export const name = '0016_job_leases';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('job_leases', (t) => {
    t.string('name', 100).primary();
    // A process's instance ID (host, pid and a random part).
    t.string('holder', 255).notNullable();
    t.bigInteger('expires_ts').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('job_leases');
}
