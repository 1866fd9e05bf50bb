/**
 * Opens the database: SQLite by default, PostgreSQL when a `postgres://` URL is configured. Runs
 * the migrations before returning, so a returned Database always has the current schema.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
// Default import: knex is CommonJS, and Node's ESM loader cannot see its named exports.
import createKnex, { type Knex } from 'knex';
import pg from 'pg';
import BetterSqlite3 from 'better-sqlite3';
import { migrationSource } from '../migrations/index.js';
import { postgresClientClass, sqliteClientClass, type SqliteReadRoute } from './clients.js';
import type { Dialect } from './dialect.js';

/** A structured log call, pino style: fields first, then a message. */
export type StorageLogFn = (fields: Record<string, unknown>, message?: string) => void;

/** The subset of a pino logger the storage layer writes to. */
export interface StorageLogger {
  info: StorageLogFn;
  warn: StorageLogFn;
  error: StorageLogFn;
  debug: StorageLogFn;
}

export interface OpenDatabaseOptions {
  /** `postgres://` or `postgresql://` selects PostgreSQL; unset or empty selects SQLite. */
  databaseUrl?: string;
  /** The SQLite file (its folder is created), or `:memory:`. Ignored for PostgreSQL. */
  sqlitePath: string;
  logger?: StorageLogger;
}

/** An open, migrated database. `knex` is for `storage/knex/` only; services get a Storage. */
export interface Database {
  knex: Knex;
  dialect: Dialect;
  close(): Promise<void>;
}

/** How long SQLite waits on another writer's lock before failing with SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/**
 * SQLite tuning, per connection (see spec/pipeline.md, "Storage connections"): a 64 MiB page cache (default
 * 2 MiB), memory-mapped reads of up to 256 MiB, temporary tables in memory, a WAL checkpoint every 4,000 pages
 * (16 MiB; default 1,000) and the WAL file truncated back to 64 MiB after a checkpoint.
 */
const SQLITE_TUNING = ['cache_size = -65536', 'mmap_size = 268435456', 'temp_store = MEMORY'] as const;
const SQLITE_WRITER_TUNING = ['wal_autocheckpoint = 4000', 'journal_size_limit = 67108864'] as const;
/** Connections per process. A deployment's total must stay under PostgreSQL's max_connections (100). */
const POSTGRES_POOL_MAX = 10;
/** Key of the advisory lock that serialises migrations across processes. Any constant works. */
const MIGRATION_LOCK_KEY = 0x7061726c; // "parl"
/** PostgreSQL type OID of int8/bigint. */
const PG_INT8_OID = 20;

const silentLogger: StorageLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

/** Opens and migrates the configured database. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const logger = options.logger ?? silentLogger;
  const url = options.databaseUrl?.trim() ?? '';
  const dialect = dialectForUrl(url);
  const route: SqliteReadRoute = { reader: null };
  const knex = dialect === 'postgres' ? createPostgresKnex(url, logger) : createSqliteKnex(options.sqlitePath, logger, route);
  // Migrations and code written for knex's built-in clients read the client's name here (e.g. 0006's `=== 'pg'`).
  (knex.client as { config: { client: unknown } }).config.client = dialect === 'postgres' ? 'pg' : 'better-sqlite3';
  const close = async (): Promise<void> => {
    route.reader?.close();
    route.reader = null;
    await knex.destroy();
  };
  try {
    await migrate(knex, dialect, logger);
    // After the migrations, so the reader never sees a half-built schema. `:memory:` is one connection's own.
    if (dialect === 'sqlite' && options.sqlitePath !== ':memory:') route.reader = openSqliteReader(options.sqlitePath);
  } catch (error) {
    await close();
    throw error;
  }
  logger.info({ dialect, ...(dialect === 'sqlite' ? { path: options.sqlitePath, readConnection: route.reader !== null } : {}) }, 'database ready');
  return { knex, dialect, close };
}

/** Picks the dialect from the configured URL; any other scheme is a configuration mistake. */
export function dialectForUrl(url: string): Dialect {
  if (url === '') return 'sqlite';
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgres';
  throw new Error(`unsupported database URL scheme in "${url.replace(/\/\/[^@/]*@/, '//…@')}": expected postgres:// or postgresql://`);
}

function createSqliteKnex(path: string, logger: StorageLogger, route: SqliteReadRoute): Knex {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return createKnex({
    client: sqliteClientClass(route),
    connection: { filename: path },
    useNullAsDefault: true,
    // One writer connection: better-sqlite3 is synchronous and SQLite has one writer anyway. Writes and
    // transactions queue on it, which is what makes stream positions transactional here. Plain reads outside a
    // transaction go to the read connection (clients.ts), which WAL lets read while a write transaction is open.
    pool: { min: 1, max: 1, afterCreate: configureSqliteConnection(logger) },
    log: knexLog(logger),
  });
}

/** Sets the per-connection pragmas: they are not stored in the file (except journal_mode). */
function configureSqliteConnection(logger: StorageLogger) {
  return (connection: BetterSqlite3.Database, done: (error: Error | null, connection: BetterSqlite3.Database) => void) => {
    try {
      const journalMode = connection.pragma('journal_mode = WAL', { simple: true });
      // In-memory databases report "memory"; anything else means WAL is unavailable on this filesystem.
      if (journalMode !== 'wal' && journalMode !== 'memory') logger.warn({ journalMode }, 'SQLite WAL mode unavailable');
      connection.pragma('foreign_keys = ON');
      connection.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      // Safe with WAL: a power loss can drop the last commits but never corrupts the database.
      connection.pragma('synchronous = NORMAL');
      for (const pragma of [...SQLITE_TUNING, ...SQLITE_WRITER_TUNING]) connection.pragma(pragma);
      done(null, connection);
    } catch (error) {
      done(error as Error, connection);
    }
  };
}

/**
 * The read connection: WAL gives it the last committed state without waiting for the writer, so SQLITE_BUSY (and
 * better-sqlite3's blocking busy wait) cannot happen on it. `query_only` makes a misrouted write fail loudly
 * instead of becoming a second writer.
 */
function openSqliteReader(path: string): BetterSqlite3.Database {
  const reader = new BetterSqlite3(path);
  try {
    reader.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    for (const pragma of SQLITE_TUNING) reader.pragma(pragma);
    reader.pragma('query_only = ON');
    return reader;
  } catch (error) {
    reader.close();
    throw error;
  }
}

function createPostgresKnex(url: string, logger: StorageLogger): Knex {
  return createKnex({
    client: postgresClientClass(),
    connection: {
      connectionString: url,
      application_name: 'parley',
      // bigint columns (timestamps, stream positions) as numbers, for this pool only; they stay below 2^53.
      types: {
        getTypeParser: (oid: number, format: string) =>
          oid === PG_INT8_OID && format === 'text' ? Number : pg.types.getTypeParser(oid, format as 'text'),
      },
    },
    // min 0 lets idle connections close; knex's docs advise against a non-zero minimum.
    pool: { min: 0, max: POSTGRES_POOL_MAX, idleTimeoutMillis: 30_000 },
    acquireConnectionTimeout: 30_000,
    log: knexLog(logger),
  });
}

/**
 * Applies pending migrations. On PostgreSQL several processes may start at once: knex's own lock
 * makes the losers fail instead of wait, so a transaction-scoped advisory lock queues them first,
 * and each finds nothing left to do. The lock frees itself if its holder dies.
 */
async function migrate(knex: Knex, dialect: Dialect, logger: StorageLogger): Promise<void> {
  const runPending = async (): Promise<void> => {
    const [, applied] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied database migrations');
  };
  if (dialect === 'sqlite') return runPending();
  await knex.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    await runPending();
  });
}

/** Routes knex's own warnings (deprecations, misuse) to the structured logger. */
function knexLog(logger: StorageLogger): Knex.Logger {
  const text = (message: unknown): string => (message instanceof Error ? message.message : String(message));
  return {
    warn: (message: unknown) => logger.warn({ source: 'knex' }, text(message)),
    error: (message: unknown) => logger.error({ source: 'knex' }, text(message)),
    debug: (message: unknown) => logger.debug({ source: 'knex' }, text(message)),
    deprecate: (method: string, alternative: string) => logger.warn({ source: 'knex', method, alternative }, 'knex deprecation'),
  };
}
