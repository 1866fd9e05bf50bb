/**
 * The bench's server, run in a child process (see remote-server.ts) so that the client's CPU does not count in
 * the server's: starts a test homeserver, counts SQL statements at the drivers (better-sqlite3 statement runs and
 * execs, pg client queries, BEGIN/COMMIT included), and answers `stats` requests over IPC with its CPU time,
 * statement count and RSS. Bench-only: nothing here is on a production path.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startTestHomeserver, type TestDialect } from '../../test/support/start.js';
import type { ServerRequest, ServerMessage, ServerStats } from './server-protocol.js';

let statements = 0;

/** Wraps the methods that run SQL on a prototype so each call counts one statement. */
function countCalls(prototype: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    const original = prototype[name];
    if (typeof original !== 'function') continue;
    prototype[name] = function counted(this: unknown, ...args: unknown[]): unknown {
      statements++;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
}

function countDriverStatements(): void {
  const probe = new Database(':memory:');
  countCalls(Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>, ['run', 'get', 'all', 'iterate']);
  probe.close();
  countCalls(Database.prototype as unknown as Record<string, unknown>, ['exec']);
  countCalls(pg.Client.prototype as unknown as Record<string, unknown>, ['query']);
}

function stats(): ServerStats {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return { cpuMicros: cpu.user + cpu.system, systemMicros: cpu.system, statements, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed };
}

function send(message: ServerMessage): void {
  process.send?.(message);
}

/**
 * BENCH_CPU_PROF=<file>: a V8 CPU profile of the whole run is written there when the server closes (open it in
 * Chrome DevTools). Started by hand: `--cpu-prof` is lost when the parent kills a slow-closing child.
 */
async function startProfile(): Promise<() => Promise<void>> {
  const file = process.env.BENCH_CPU_PROF;
  if (!file) return async () => {};
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
  };
}

async function main(): Promise<void> {
  countDriverStatements();
  const stopProfile = await startProfile();
  const dialect = (process.env.BENCH_DIALECT ?? 'sqlite') as TestDialect;
  const server = await startTestHomeserver({ dialect, config: { log: { level: 'error' }, presence: { enabled: false } } });
  process.on('message', (request: ServerRequest) => {
    if (request.cmd === 'gc') globalThis.gc?.();
    if (request.cmd !== 'close') send({ id: request.id, stats: stats() });
    else void stopProfile().then(() => server.close()).then(() => {
      send({ id: request.id, stats: stats() });
      process.exit(0);
    });
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
  const { database } = server.server.config;
  send({ ready: { url: server.url, serverName: server.serverName, dialect, sqlitePath: database.sqlite_path, databaseUrl: database.url } });
}

main().catch((error: unknown) => {
  console.error('bench server failed to start', error);
  process.exit(1);
});
