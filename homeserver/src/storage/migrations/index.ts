/**
 * The migration source: every migration, in order, as code. Knex reads them from here instead of a
 * directory, so migrations run the same under tsx, vitest and a bundled build.
 * Add a migration by writing `NNNN_name.ts` beside this file and appending it below.
 */
import type { Knex } from 'knex';
import * as m0001 from './0001_init.js';
import * as m0002 from './0002_accounts.js';
import * as m0003 from './0003_room_state.js';
import * as m0004 from './0004_ephemeral.js';
import * as m0005 from './0005_push.js';
import * as m0006 from './0006_search.js';
import * as m0007 from './0007_user_data.js';
import * as m0008 from './0008_sync.js';
import * as m0010 from './0010_e2ee.js';
import * as m0011 from './0011_to_device.js';
import * as m0012 from './0012_key_backup.js';
import * as m0009 from './0009_relations_aliases.js';
import * as m0013 from './0013_accounts_hardening.js';
import * as m0014 from './0014_to_device_backlog.js';
import * as m0015 from './0015_stream_readers.js';
import * as m0016 from './0016_job_leases.js';
import * as m0017 from './0017_push_counters.js';
import * as m0018 from './0018_topological_order.js';
import * as m0021 from './0021_openid_tokens.js';
import * as m0022 from './0022_account_moderation.js';
import * as m0024 from './0024_guests.js';

/** A migration: a unique, sortable name and its schema change. */
export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** All migrations, oldest first. Names are recorded in `knex_migrations`; never rename one. */
export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008, m0009, m0010, m0011, m0012, m0013, m0014, m0015, m0016, m0017, m0018, m0021, m0022, m0024];

/** Hands {@link MIGRATIONS} to knex's migrator. */
export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};
