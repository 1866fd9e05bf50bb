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
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Storage } from '../index.js';
import { openDatabase, type Database } from '../knex/connect.js';
import type { Dialect } from '../knex/dialect.js';
import { createKnexStorage } from '../knex/storage.js';

/** What a suite gets besides its Storage: for tests that must look beneath the repositories. */
export interface DatabaseUnderTest {
  dialect: Dialect;
  /** The open database (valid inside tests and hooks). */
  database(): Database;
  /** Opens another connection pool to the same database, as a second process would; close it yourself. */
  openAnother(): Promise<Database>;
}

/** The PostgreSQL server to test against, if any. */
export function testPostgresUrl(): string | undefined {
  const url = process.env.TEST_POSTGRES_URL || process.env.DATABASE_URL;
  return url && /^postgres(ql)?:\/\//i.test(url) ? url : undefined;
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
    const databaseName = `parley_test_${randomBytes(6).toString('hex')}`;
    let created = false;
    registerSuite('postgres', suite, {
      async setUp() {
        await runAdmin(adminUrl as string, `CREATE DATABASE ${databaseName}`);
        created = true;
        return { databaseUrl: withDatabase(adminUrl as string, databaseName), sqlitePath: '' };
      },
      async tearDown() {
        // FORCE (PostgreSQL 13+) ends connections a failed test may have left open.
        if (!created) return;
        await runAdmin(adminUrl as string, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
        created = false;
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

/** `url` pointing at database `name` instead of its own. */
function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function runAdmin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
