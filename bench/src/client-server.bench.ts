/**
 * Client-Server benchmarks of the event pipeline (issue 8), over HTTP on loopback, on SQLite and (when
 * TEST_POSTGRES_URL is set) PostgreSQL. The server runs in a child process (server-process.ts), so its CPU time,
 * SQL statement count and RSS are its own: the client's work does not count. Every figure is printed with its ratio
 * to the same run's trivial-request floor and with its target; nothing passes or fails.
 * Parts (`--only=`): send, latency, members, rss, initial; `--quick` for smaller sizes; `--db=sqlite|postgres`.
 */
import { printer, type PartContext } from './pipeline/context.js';
import { measureFloor } from './pipeline/floor.js';
import { runInitialSync } from './pipeline/initial-sync.js';
import { runLatency } from './pipeline/latency.js';
import { runMembers } from './pipeline/members.js';
import { parseBenchOptions, type BenchOptions, type Part } from './pipeline/options.js';
import { rawInsertRate } from './pipeline/raw-insert.js';
import { runSenders } from './pipeline/senders.js';
import { runWaitingSyncs } from './pipeline/waiting-syncs.js';
import { retriedRequests } from './http.js';
import { startRemoteServer } from './remote-server.js';
import { testPostgresUrl } from '../../homeserver/src/storage/testing/scratch-postgres.js';
import type { TestDialect } from '../../test/support/start.js';

const RUNNERS: Record<Part, (ctx: PartContext) => Promise<void>> = {
  send: runSenders,
  latency: runLatency,
  members: runMembers,
  rss: runWaitingSyncs,
  initial: runInitialSync,
};

async function benchDialect(dialect: TestDialect, options: BenchOptions): Promise<void> {
  const server = await startRemoteServer(dialect);
  const print = printer(dialect);
  try {
    const floor = await measureFloor({ server, sizes: options.sizes, print });
    const ctx: PartContext = { server, sizes: options.sizes, floor, print };
    for (const part of options.parts) {
      const started = performance.now();
      await RUNNERS[part](ctx);
      console.log(`  [${dialect}] (${part}: ${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    if (options.parts.has('send')) {
      const total = options.sizes.concurrentSenders * options.sizes.messagesPerSender;
      print({ name: 'database floor: raw row inserts, one transaction each', value: await rawInsertRate(server, total), unit: 'rows/s' });
    }
    if (retriedRequests() > 0) console.log(`  (${retriedRequests()} requests so far were sent again after a connection reset)`);
  } finally {
    await server.close();
  }
}

export async function runClientServerBench(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const options = parseBenchOptions(argv);
  console.log(`client-server API: the event pipeline (server in a child process, over HTTP on loopback${options.quick ? ', quick sizes' : ''})`);
  const hasPostgres = testPostgresUrl() !== undefined;
  if (!hasPostgres) console.log('  (set TEST_POSTGRES_URL=postgres://... to also measure PostgreSQL)');
  for (const dialect of options.dialects) {
    if (dialect === 'postgres' && !hasPostgres) continue;
    await benchDialect(dialect, options);
  }
}

