/**
 * knex's drivers with Parley's statement layer underneath: the same query builders, with
 * - SQLite: prepared statements cached per connection (keyed by SQL text), and plain reads outside a transaction
 *   sent to a separate read connection, so they never queue behind a write transaction that is awaiting something;
 * - PostgreSQL: named prepared statements (pg's `name`), so the server parses and plans a hot statement once per
 *   connection.
 * knex builds the SQL text; what these classes save is the driver-side preparing. See spec/pipeline.md,
 * "Storage connections".
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';

const require = createRequire(import.meta.url);

/** Distinct SQL texts cached per SQLite connection (least recently used dropped first). */
export const SQLITE_STATEMENT_CACHE_SIZE = 1_000;
/** Distinct SQL texts a process names on PostgreSQL; later ones run unnamed (keeps server memory bounded). */
export const POSTGRES_NAMED_STATEMENTS_MAX = 500;

/** What knex hands its driver: the compiled statement. `options` is passed through to pg's query config. */
interface CompiledQuery {
  sql: string;
  bindings?: readonly unknown[];
  options?: Record<string, unknown>;
}

/** The parts of a knex query builder the read routing looks at (knex internals, stable since 0.x). */
interface BuilderInternals {
  _method?: string;
  _single?: { lock?: unknown };
  connection?(connection: unknown): unknown;
}

/** The knex Client internals these subclasses override. */
interface KnexClientInternals {
  transacting?: boolean;
  runner(builder: BuilderInternals): unknown;
  _query(connection: unknown, obj: CompiledQuery): Promise<CompiledQuery>;
}
type ClientClass = new (config: object) => KnexClientInternals;

const BetterSqliteBase = require('knex/lib/dialects/better-sqlite3/index.js') as ClientClass;
const PostgresBase = require('knex/lib/dialects/postgres/index.js') as ClientClass;

/** Builder methods that only read. */
const READ_METHODS = new Set(['select', 'first', 'pluck']);

/** A cache of prepared statements for one connection, least recently used dropped first. */
class StatementCache {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(private readonly connection: BetterSqlite3.Database, private readonly capacity: number) {}

  get(sql: string): BetterSqlite3.Statement {
    const cached = this.statements.get(sql);
    if (cached !== undefined) {
      // Re-insert: Map order is the recency order.
      this.statements.delete(sql);
      this.statements.set(sql, cached);
      return cached;
    }
    const statement = this.connection.prepare(sql);
    this.statements.set(sql, statement);
    if (this.statements.size > this.capacity) this.statements.delete(this.statements.keys().next().value as string);
    return statement;
  }
}

const caches = new WeakMap<BetterSqlite3.Database, StatementCache>();

/** The cached statement for `sql` on `connection`. */
export function cachedStatement(connection: BetterSqlite3.Database, sql: string): BetterSqlite3.Statement {
  let cache = caches.get(connection);
  if (cache === undefined) {
    cache = new StatementCache(connection, SQLITE_STATEMENT_CACHE_SIZE);
    caches.set(connection, cache);
  }
  return cache.get(sql);
}

/** Where {@link ParleySqliteClient} sends reads: set once the read connection is open. */
export interface SqliteReadRoute {
  reader: BetterSqlite3.Database | null;
}

/** SQLite's client: cached statements, and reads outside transactions on the read connection. */
export function sqliteClientClass(route: SqliteReadRoute): typeof Knex.Client {
  const client = class ParleySqliteClient extends BetterSqliteBase {
    override runner(builder: BuilderInternals): unknown {
      // Inside a transaction (`transacting`) reads must see its own writes: they stay on the writer.
      if (route.reader !== null && this.transacting !== true && isPlainRead(builder)) builder.connection?.(route.reader);
      return super.runner(builder);
    }

    override async _query(connection: unknown, obj: CompiledQuery): Promise<CompiledQuery> {
      if (!obj.sql) throw new Error('The query is empty');
      const statement = cachedStatement(connection as BetterSqlite3.Database, obj.sql);
      const bindings = (obj.bindings ?? []).map(sqliteBinding);
      const result = obj as CompiledQuery & { response?: unknown; context?: unknown };
      if (statement.reader) {
        result.response = statement.all(bindings);
        return result;
      }
      const response = statement.run(bindings);
      result.response = response;
      result.context = { lastID: response.lastInsertRowid, changes: response.changes };
      return result;
    }
  };
  return client as unknown as typeof Knex.Client;
}

/** As knex's better-sqlite3 client binds values: dates as epoch ms, booleans as 0/1. */
function sqliteBinding(value: unknown): unknown {
  if (value instanceof Date) return value.valueOf();
  if (typeof value === 'boolean') return Number(value);
  return value;
}

function isPlainRead(builder: BuilderInternals): boolean {
  return typeof builder._method === 'string' && READ_METHODS.has(builder._method) && builder._single?.lock === undefined;
}

const postgresNames = new Map<string, string>();

/** The prepared-statement name of `sql`, or undefined when it should run unnamed. */
export function postgresStatementName(sql: string): string | undefined {
  const known = postgresNames.get(sql);
  if (known !== undefined) return known;
  // One statement of data manipulation only: BEGIN/COMMIT, DDL and multi-statement texts stay unnamed.
  if (postgresNames.size >= POSTGRES_NAMED_STATEMENTS_MAX || !/^\s*(select|insert|update|delete|with)\b/i.test(sql) || sql.includes(';')) return undefined;
  const name = `p_${createHash('sha1').update(sql).digest('base64url')}`;
  postgresNames.set(sql, name);
  return name;
}

/** PostgreSQL's client: hot statements prepared once per connection under a name derived from their text. */
export function postgresClientClass(): typeof Knex.Client {
  const client = class ParleyPostgresClient extends PostgresBase {
    override _query(connection: unknown, obj: CompiledQuery): Promise<CompiledQuery> {
      const name = obj.sql ? postgresStatementName(obj.sql) : undefined;
      if (name !== undefined && obj.options?.name === undefined) obj.options = { ...obj.options, name };
      return super._query(connection, obj);
    }
  };
  return client as unknown as typeof Knex.Client;
}
