/**
 * Scratch PostgreSQL databases for tests and benchmarks: created with a unique name, dropped afterwards.
 * Free of vitest so benchmarks can use it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server to test against, if any (`TEST_POSTGRES_URL`, else a postgres `DATABASE_URL`). */
export function testPostgresUrl(): string | undefined {
  const url = process.env.TEST_POSTGRES_URL || process.env.DATABASE_URL;
  return url && /^postgres(ql)?:\/\//i.test(url) ? url : undefined;
}

/** A database created for one suite or run. */
export interface ScratchDatabase {
  name: string;
  /** Connection URL of the scratch database. */
  url: string;
  /** Drops it, closing any connections still open. Idempotent. */
  drop(): Promise<void>;
}

/** Creates `parley_test_<random>` on the server at `adminUrl`. */
export async function createScratchDatabase(adminUrl: string): Promise<ScratchDatabase> {
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  await runAdmin(adminUrl, `CREATE DATABASE ${name}`);
  let dropping: Promise<void> | undefined;
  return {
    name,
    url: withDatabase(adminUrl, name),
    drop: () => (dropping ??= runAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
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
