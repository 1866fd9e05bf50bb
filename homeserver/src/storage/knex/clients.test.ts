/**
 * The statement layer under knex (clients.ts): reads outside a transaction do not wait for an open write
 * transaction, and see only what committed; statements are cached per connection; PostgreSQL names are stable.
 */
import { expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { forEachDatabase } from '../testing/for-each-database.js';
import { uniqueId } from '../testing/fixtures.js';
import { cachedStatement, postgresStatementName, SQLITE_STATEMENT_CACHE_SIZE } from './clients.js';

forEachDatabase('storage connections', (getStorage) => {
  it('a read outside a transaction answers while a write transaction is open, seeing only committed rows', async () => {
    const storage = getStorage();
    const roomId = uniqueId('!');
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let inside: () => void = () => {};
    const written = new Promise<void>((resolve) => (inside = resolve));
    const writing = storage.transaction(async (tx) => {
      await tx.rooms.addRoom({ roomId, roomVersion: '12', creator: '@a:x', isPublic: false });
      inside();
      // The transaction awaits something (as a send awaiting signing would) while holding the writer.
      await held;
    });
    await written;
    // Before the read connection, this read queued behind the transaction until its commit: here, for ever.
    const blocked = new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 3_000).unref());
    const during = await Promise.race([storage.rooms.getRoom(roomId), blocked]);
    release();
    await writing;
    expect(during).toBeNull();
    expect(await storage.rooms.getRoom(roomId)).toMatchObject({ roomId, roomVersion: '12' });
  });

  it('reads inside a transaction see its own writes', async () => {
    const roomId = uniqueId('!');
    const seen = await getStorage().transaction(async (tx) => {
      await tx.rooms.addRoom({ roomId, roomVersion: '11', creator: '@a:x', isPublic: true });
      return tx.rooms.getRoom(roomId);
    });
    expect(seen).toMatchObject({ roomId, roomVersion: '11', isPublic: true });
  });
});

it('SQLite: one prepared statement per SQL text and connection, least recently used dropped past the cap', () => {
  const connection = new BetterSqlite3(':memory:');
  try {
    const first = cachedStatement(connection, 'SELECT 1');
    expect(cachedStatement(connection, 'SELECT 1')).toBe(first);
    for (let index = 0; index < SQLITE_STATEMENT_CACHE_SIZE; index += 1) cachedStatement(connection, `SELECT ${index + 2}`);
    // 'SELECT 1' was the least recently used when the cache overflowed: prepared afresh.
    expect(cachedStatement(connection, 'SELECT 1')).not.toBe(first);
    expect(cachedStatement(connection, 'SELECT 1').get()).toEqual({ 1: 1 });
  } finally {
    connection.close();
  }
});

it('PostgreSQL: one name per statement text; transaction control and multi-statement texts stay unnamed', () => {
  const sql = 'select "position" from "stream_readers" where "name" = $1 limit $2';
  const name = postgresStatementName(sql);
  expect(name).toMatch(/^p_/);
  expect(postgresStatementName(sql)).toBe(name);
  expect(postgresStatementName(`${sql} `)).not.toBe(name);
  expect(postgresStatementName('BEGIN;')).toBeUndefined();
  expect(postgresStatementName('select 1; select 2')).toBeUndefined();
});
