/** The database floor: rows like our event rows inserted raw, one transaction each, into the server's database. */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { RemoteServer } from '../remote-server.js';

const WRITERS = 50;
const ROW = JSON.stringify({ type: 'm.room.message', content: { msgtype: 'm.text', body: 'x'.repeat(40) }, padding: 'y'.repeat(400) });

function sqliteRate(path: string, total: number): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS bench_raw_events (event_id TEXT PRIMARY KEY, room_id TEXT, stream INTEGER, json TEXT)');
  const insert = db.prepare('INSERT INTO bench_raw_events VALUES (?, ?, ?, ?)');
  const start = performance.now();
  for (let i = 0; i < total; i++) db.transaction(() => insert.run(`$raw${i}`, '!room', i, ROW))();
  const rate = (total * 1000) / (performance.now() - start);
  db.close();
  return rate;
}

async function postgresRate(url: string, total: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query('CREATE TABLE IF NOT EXISTS bench_raw_events (event_id TEXT PRIMARY KEY, room_id TEXT, stream BIGINT, json TEXT)');
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < total) {
        const i = next++;
        await pool.query('INSERT INTO bench_raw_events VALUES ($1, $2, $3, $4)', [`$raw${i}`, '!room', i, ROW]);
      }
    }),
  );
  const rate = (total * 1000) / (performance.now() - start);
  await pool.end();
  return rate;
}

/** Rows per second; SQLite from this process (its own connection), PostgreSQL through a pool of 10, 50 writers. */
export function rawInsertRate(server: RemoteServer, total: number): Promise<number> {
  if (server.dialect === 'sqlite') return Promise.resolve(sqliteRate(server.sqlitePath, total));
  return postgresRate(server.databaseUrl as string, total);
}
