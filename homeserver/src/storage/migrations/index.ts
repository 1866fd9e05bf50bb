/**
 * The migration source: every migration, in order, as code. Knex reads them from here instead of a
 * directory, so migrations run the same under tsx, vitest and a bundled build.
 * Add a migration by writing `NNNN_name.ts` beside this file and appending it below.
 */
import type { Knex } from 'knex';
import * as m0001 from './0001_init.js';

/** A migration: a unique, sortable name and its schema change. */
export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** All migrations, oldest first. Names are recorded in `knex_migrations`; never rename one. */
export const MIGRATIONS: readonly Migration[] = [m0001];

/** Hands {@link MIGRATIONS} to knex's migrator. */
export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};
