import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { dialectForUrl, openDatabase, type Database, type StorageLogger } from './connect.js';
import { testPostgresUrl } from '../testing/for-each-database.js';
import { MIGRATIONS } from '../migrations/index.js';

function recordingLogger(): StorageLogger & { lines: { level: string; fields: Record<string, unknown>; message?: string }[] } {
  const lines: { level: string; fields: Record<string, unknown>; message?: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message?: string) => void lines.push({ level, fields, message });
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

describe('dialectForUrl', () => {
  it('picks SQLite without a URL and PostgreSQL for postgres:// and postgresql://', () => {
    expect(dialectForUrl('')).toBe('sqlite');
    expect(dialectForUrl('postgres://u@h/db')).toBe('postgres');
    expect(dialectForUrl('PostgreSQL://u@h:5432/db')).toBe('postgres');
  });

  it('rejects other schemes without echoing credentials', () => {
    expect(() => dialectForUrl('mysql://user:secret@h/db')).toThrow(/unsupported database URL scheme/);
    expect(() => dialectForUrl('mysql://user:secret@h/db')).not.toThrow(/secret/);
  });
});

describe('openDatabase on SQLite', () => {
  const opened: Database[] = [];
  const directories: string[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  function tempPath(): string {
    const directory = mkdtempSync(join(tmpdir(), 'parley-connect-'));
    directories.push(directory);
    return join(directory, 'nested', 'deeper', 'parley.db');
  }

  it('creates the folder and sets WAL, foreign keys, busy timeout and synchronous=NORMAL', async () => {
    const db = await openDatabase({ sqlitePath: tempPath() });
    opened.push(db);
    expect(db.dialect).toBe('sqlite');
    const pragma = async (name: string): Promise<unknown> => {
      const rows = (await db.knex.raw(`PRAGMA ${name}`)) as Record<string, unknown>[];
      return Object.values(rows[0] ?? {})[0];
    };
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('foreign_keys')).toBe(1);
    expect(await pragma('busy_timeout')).toBe(5000);
    expect(await pragma('synchronous')).toBe(1); // NORMAL
  });

  it('treats an empty DATABASE_URL as SQLite', async () => {
    const db = await openDatabase({ databaseUrl: '', sqlitePath: tempPath() });
    opened.push(db);
    expect(db.dialect).toBe('sqlite');
  });

  it('migrates on first open only, logging what it applied', async () => {
    const path = tempPath();
    const firstLogger = recordingLogger();
    const first = await openDatabase({ sqlitePath: path, logger: firstLogger });
    await first.close();
    expect(firstLogger.lines).toContainEqual({ level: 'info', fields: { migrations: MIGRATIONS.map((migration) => migration.name) }, message: 'applied database migrations' });

    const secondLogger = recordingLogger();
    const second = await openDatabase({ sqlitePath: path, logger: secondLogger });
    opened.push(second);
    expect(secondLogger.lines.some((line) => line.message === 'applied database migrations')).toBe(false);
    const applied = (await second.knex('knex_migrations').select('name')) as { name: string }[];
    expect(applied.map((row) => row.name)).toEqual(MIGRATIONS.map((migration) => migration.name));
  });

  it('works in memory', async () => {
    const db = await openDatabase({ sqlitePath: ':memory:' });
    opened.push(db);
    expect(await db.knex.schema.hasTable('events')).toBe(true);
  });
});

const adminUrl = testPostgresUrl();

describe.skipIf(adminUrl === undefined)('openDatabase on PostgreSQL', () => {
  async function admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
  function urlFor(database: string): string {
    const url = new URL(adminUrl as string);
    url.pathname = `/${database}`;
    return url.toString();
  }

  it('lets several processes start at once on an empty database: one migrates, the others wait', async () => {
    const name = `parley_test_${randomBytes(6).toString('hex')}`;
    await admin(`CREATE DATABASE ${name}`);
    const opened: Database[] = [];
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, () => openDatabase({ databaseUrl: urlFor(name), sqlitePath: 'unused' })),
      );
      for (const result of results) if (result.status === 'fulfilled') opened.push(result.value);
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      const db = opened[0] as Database;
      expect(db.dialect).toBe('postgres');
      const applied = (await db.knex('knex_migrations').select('name')) as { name: string }[];
      expect(applied.map((row) => row.name)).toEqual(MIGRATIONS.map((migration) => migration.name));
      // bigint arrives as a number on our pools.
      const rows = (await db.knex.raw('SELECT 9007199254740991::bigint AS n')) as { rows: { n: unknown }[] };
      expect(rows.rows[0]?.n).toBe(Number.MAX_SAFE_INTEGER);
    } finally {
      await Promise.all(opened.map((db) => db.close()));
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });

  it('rejects when the database cannot be reached', async () => {
    await expect(
      openDatabase({ databaseUrl: urlFor(`parley_missing_${randomBytes(4).toString('hex')}`), sqlitePath: 'unused' }),
    ).rejects.toThrow(/does not exist/);
  });
});
