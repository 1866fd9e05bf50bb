/** Messages between the bench and its server child process (server-process.ts) over Node's IPC channel. */
import type { TestDialect } from '../../test/support/start.js';

/** Monotonic counters of the server process; the bench takes differences. */
export interface ServerStats {
  /** User + system CPU time of the server process since it started. */
  cpuMicros: number;
  /** The kernel's part of `cpuMicros` (system time: socket reads and writes, fsync, page faults). */
  systemMicros: number;
  /** SQL statements run at the drivers since the server started (BEGIN and COMMIT count). */
  statements: number;
  rssBytes: number;
  heapUsedBytes: number;
}

/** Sent once the server listens; the database is named so the bench can measure raw inserts into it. */
export interface ServerReady {
  url: string;
  serverName: string;
  dialect: TestDialect;
  sqlitePath: string;
  databaseUrl: string | undefined;
}

/** `gc`: collect garbage first (the child runs with --expose-gc), for steadier RSS figures. */
export type ServerRequest = { id: number; cmd: 'stats' | 'gc' | 'close' };

export type ServerMessage =
  | { ready: ServerReady }
  | { id: number; stats: ServerStats };
