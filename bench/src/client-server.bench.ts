/**
 * Client-Server benchmarks on a real server over HTTP, on SQLite and (when a PostgreSQL URL is given) PostgreSQL:
 * - messages/s sustained by 50 concurrent senders in one room;
 * - p50/p99 latency from send to arrival in another user's waiting /sync;
 * - initial /sync time for a user in 500 rooms;
 * - the floor: the same number of rows inserted raw (one transaction each, 50 concurrent) into the same database.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { registerUser, startTestHomeserver, type TestDialect, type TestHomeserver, type TestUser } from '../../test/support/start.js';
import { call } from './http.js';
import { formatMeasurement, type Measurement } from './report.js';

const SENDERS = 50;
const MESSAGES_PER_SENDER = 20;
const LATENCY_SAMPLES = 100;
const ROOMS_FOR_INITIAL_SYNC = 500;

async function createRoom(server: TestHomeserver, owner: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  return (await call(server, owner, 'POST', '/createRoom', { preset: 'public_chat', ...body })).room_id as string;
}

let txnCounter = 0;
function sendMessage(server: TestHomeserver, user: TestUser, roomId: string, body: string): Promise<Record<string, unknown>> {
  const txnId = `bench-${process.pid}-${++txnCounter}`;
  return call(server, user, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, { msgtype: 'm.text', body });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function throughput(server: TestHomeserver, users: TestUser[], roomId: string): Promise<number> {
  const start = performance.now();
  await Promise.all(
    users.map(async (user, index) => {
      for (let i = 0; i < MESSAGES_PER_SENDER; i++) await sendMessage(server, user, roomId, `sender ${index} message ${i}`);
    }),
  );
  return (SENDERS * MESSAGES_PER_SENDER * 1000) / (performance.now() - start);
}

async function sendToSyncLatency(server: TestHomeserver, sender: TestUser, reader: TestUser, roomId: string): Promise<number[]> {
  const filter = encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 5 }, state: { lazy_load_members: true } }, presence: { types: [] } }));
  let since = (await call(server, reader, 'GET', `/sync?filter=${filter}`)).next_batch as string;
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const marker = `latency probe ${i}`;
    const waiting = (async () => {
      for (;;) {
        const response = await call(server, reader, 'GET', `/sync?filter=${filter}&timeout=10000&since=${encodeURIComponent(since)}`);
        since = response.next_batch as string;
        if (JSON.stringify(response).includes(marker)) return performance.now();
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 5)); // let the sync reach its wait
    const sentAt = performance.now();
    await sendMessage(server, sender, roomId, marker);
    samples.push((await waiting) - sentAt);
  }
  return samples.sort((a, b) => a - b);
}

async function initialSyncTime(server: TestHomeserver, owner: TestUser): Promise<number> {
  for (let i = 0; i < ROOMS_FOR_INITIAL_SYNC; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, async (_, j) => {
        const roomId = await createRoom(server, owner, { name: `room ${i + j}` });
        await sendMessage(server, owner, roomId, `hello room ${i + j}`);
      }),
    );
  }
  const times: number[] = [];
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    await call(server, owner, 'GET', '/sync');
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[1] as number;
}

/** The floor: rows like our event rows, inserted one transaction each by 50 concurrent writers. */
async function rawInsertRate(server: TestHomeserver): Promise<number> {
  const total = SENDERS * MESSAGES_PER_SENDER;
  const json = JSON.stringify({ type: 'm.room.message', content: { msgtype: 'm.text', body: 'x'.repeat(40) }, padding: 'y'.repeat(400) });
  const config = server.server.config;
  if (server.dialect === 'sqlite') {
    const db = new Database(config.database.sqlite_path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE IF NOT EXISTS bench_raw_events (event_id TEXT PRIMARY KEY, room_id TEXT, stream INTEGER, json TEXT)');
    const insert = db.prepare('INSERT INTO bench_raw_events VALUES (?, ?, ?, ?)');
    const start = performance.now();
    for (let i = 0; i < total; i++) db.transaction(() => insert.run(`$raw${i}`, '!room', i, json))();
    const rate = (total * 1000) / (performance.now() - start);
    db.close();
    return rate;
  }
  const pool = new pg.Pool({ connectionString: config.database.url, max: 10 });
  await pool.query('CREATE TABLE IF NOT EXISTS bench_raw_events (event_id TEXT PRIMARY KEY, room_id TEXT, stream BIGINT, json TEXT)');
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (next < total) {
        const i = next++;
        await pool.query('INSERT INTO bench_raw_events VALUES ($1, $2, $3, $4)', [`$raw${i}`, '!room', i, json]);
      }
    }),
  );
  const rate = (total * 1000) / (performance.now() - start);
  await pool.end();
  return rate;
}

async function benchDialect(dialect: TestDialect): Promise<Measurement[]> {
  const server = await startTestHomeserver({ dialect, config: { log: { level: 'error' }, presence: { enabled: false } } });
  try {
    const users = await Promise.all(Array.from({ length: SENDERS }, (_, i) => registerUser(server, `sender${i}`)));
    const reader = await registerUser(server, 'reader');
    const owner = users[0] as TestUser;
    const roomId = await createRoom(server, owner);
    for (const user of [...users.slice(1), reader]) await call(server, user, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
    const sent = await throughput(server, users, roomId);
    const raw = await rawInsertRate(server);
    const latencies = await sendToSyncLatency(server, users[1] as TestUser, reader, roomId);
    const lonely = await registerUser(server, 'many-rooms');
    const initial = await initialSyncTime(server, lonely);
    return [
      { name: `[${dialect}] messages sent by ${SENDERS} concurrent senders`, value: sent, unit: 'msg/s', baseline: { name: 'raw row inserts', value: raw } },
      { name: `[${dialect}] raw row inserts into the same database (floor)`, value: raw, unit: 'rows/s' },
      { name: `[${dialect}] send -> waiting /sync latency p50`, value: percentile(latencies, 50), unit: 'ms' },
      { name: `[${dialect}] send -> waiting /sync latency p99`, value: percentile(latencies, 99), unit: 'ms' },
      { name: `[${dialect}] initial /sync, user in ${ROOMS_FOR_INITIAL_SYNC} rooms (median of 3)`, value: initial, unit: 'ms' },
    ];
  } finally {
    await server.close();
  }
}

export async function runClientServerBench(): Promise<void> {
  console.log('client-server API (over HTTP on loopback)');
  const dialects: TestDialect[] = ['sqlite'];
  if (process.env.TEST_POSTGRES_URL) dialects.push('postgres');
  else console.log('  (set TEST_POSTGRES_URL=postgres://... to also measure PostgreSQL)');
  for (const dialect of dialects) {
    for (const measurement of await benchDialect(dialect)) console.log(formatMeasurement(measurement));
  }
}
