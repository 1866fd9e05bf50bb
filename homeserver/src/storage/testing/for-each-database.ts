/**
 * `forEachDatabase()`: runs one test suite against every database Parley supports. SQLite (a temp
 * file, so WAL and pragmas are real) always; PostgreSQL when `TEST_POSTGRES_URL` or `DATABASE_URL`
 * is set, in a freshly created database `parley_test_<random>` that is dropped afterwards.
 *
 * The database is shared by the tests of one suite: use fresh IDs per test rather than relying on
 * empty tables.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Storage } from '../index.js';
import { openDatabase, type Database } from '../knex/connect.js';
import type { Dialect } from '../knex/dialect.js';
import { createKnexStorage } from '../knex/storage.js';
import { createScratchDatabase, testPostgresUrl, type ScratchDatabase } from './scratch-postgres.js';

export { testPostgresUrl } from './scratch-postgres.js';

/** What a suite gets besides its Storage: for tests that must look beneath the repositories. */
export interface DatabaseUnderTest {
  dialect: Dialect;
  /** The open database (valid inside tests and hooks). */
  database(): Database;
  /** Opens another connection pool to the same database, as a second process would; close it yourself. */
  openAnother(): Promise<Database>;
}


/** Registers `suite` once per database, as `describe(`${name} [sqlite]`)` and `[postgres]`. */
export function forEachDatabase(
  name: string,
  suite: (getStorage: () => Storage, under: DatabaseUnderTest) => void,
): void {
  describe(`${name} [sqlite]`, () => {
    let directory = '';
    registerSuite('sqlite', suite, {
      async setUp() {
        directory = mkdtempSync(join(tmpdir(), 'parley-test-'));
        return { databaseUrl: undefined, sqlitePath: join(directory, 'parley.db') };
      },
      async tearDown() {
        if (directory !== '') rmSync(directory, { recursive: true, force: true });
      },
    });
  });

  const adminUrl = testPostgresUrl();
  describe.skipIf(adminUrl === undefined)(`${name} [postgres]`, () => {
    let scratch: ScratchDatabase | undefined;
    registerSuite('postgres', suite, {
      async setUp() {
        scratch = await createScratchDatabase(adminUrl as string);
        return { databaseUrl: scratch.url, sqlitePath: '' };
      },
      async tearDown() {
        // The drop uses FORCE (PostgreSQL 13+), ending connections a failed test may have left open.
        await scratch?.drop();
        scratch = undefined;
      },
    });
  });
}

interface Lifecycle {
  setUp(): Promise<{ databaseUrl: string | undefined; sqlitePath: string }>;
  tearDown(): Promise<void>;
}

function registerSuite(
  dialect: Dialect,
  suite: (getStorage: () => Storage, under: DatabaseUnderTest) => void,
  lifecycle: Lifecycle,
): void {
  let database: Database | undefined;
  let storage: Storage | undefined;
  let location: { databaseUrl: string | undefined; sqlitePath: string } | undefined;
  const others: Database[] = [];

  beforeAll(async () => {
    try {
      location = await lifecycle.setUp();
      database = await openDatabase(location);
      storage = createKnexStorage(database);
    } catch (error) {
      // afterAll still runs, but clean up here too so a failed setup never leaves a database behind.
      await closeAll();
      throw error;
    }
  });

  afterAll(closeAll);

  async function closeAll(): Promise<void> {
    const pools = [...others.splice(0), ...(database ? [database] : [])];
    database = undefined;
    storage = undefined;
    try {
      await Promise.allSettled(pools.map((pool) => pool.close()));
    } finally {
      await lifecycle.tearDown();
    }
  }

  suite(() => required(storage, 'storage'), {
    dialect,
    database: () => required(database, 'database'),
    async openAnother() {
      const another = await openDatabase(required(location, 'database location'));
      others.push(another);
      return another;
    },
  });
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`forEachDatabase: ${what} is only available inside tests and hooks`);
  return value;
}
