/**
 * The few places where SQLite and PostgreSQL differ, kept behind small helpers so the repositories
 * are written once. Everything else is plain knex that compiles the same way on both.
 */
import type { Knex } from 'knex';

/** The two databases Parley runs on. */
export type Dialect = 'sqlite' | 'postgres';

/** Either the root knex instance or an open transaction: repositories run on whichever they are given. */
export type Queryable = Knex | Knex.Transaction;

/** What each repository is built from. */
export interface SqlContext {
  db: Queryable;
  dialect: Dialect;
}

/**
 * Largest number of rows per multi-row statement. SQLite allows 32766 bound parameters and
 * PostgreSQL 65535; rows of up to ~8 columns in chunks of 500 stay far below both.
 */
export const MAX_ROWS_PER_STATEMENT = 500;

/** Splits `items` into chunks of at most `size`, for IN lists and multi-row inserts. */
export function chunks<T>(items: readonly T[], size = MAX_ROWS_PER_STATEMENT): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/**
 * Inserts `rows`, replacing `updateColumns` of rows whose `conflictColumns` already exist.
 * Both dialects spell this `INSERT … ON CONFLICT (…) DO UPDATE` (SQLite ≥ 3.24).
 */
export async function upsert(
  db: Queryable,
  table: string,
  rows: readonly Record<string, unknown>[],
  options: { conflict: readonly string[]; update: readonly string[] },
): Promise<void> {
  for (const chunk of chunks(rows)) {
    await db(table).insert(chunk).onConflict([...options.conflict]).merge([...options.update]);
  }
}

/** Inserts `rows`, silently skipping those whose `conflictColumns` already exist. */
export async function insertIgnoringConflicts(
  db: Queryable,
  table: string,
  rows: readonly Record<string, unknown>[],
  conflictColumns: readonly string[],
): Promise<void> {
  for (const chunk of chunks(rows)) {
    await db(table).insert(chunk).onConflict([...conflictColumns]).ignore();
  }
}

/**
 * Locks the selected rows for this transaction, skipping rows another process holds: how several
 * homeserver processes share a job queue. SQLite has one writer at a time, so there it is a no-op.
 */
export function forUpdateSkipLocked<TRecord extends object, TResult>(
  query: Knex.QueryBuilder<TRecord, TResult>,
  dialect: Dialect,
): Knex.QueryBuilder<TRecord, TResult> {
  return dialect === 'postgres' ? query.forUpdate().skipLocked() : query;
}

/**
 * Reads an integer column. PostgreSQL's `bigint` arrives as a string unless the connection parses
 * it (see connect.ts); SQLite gives numbers. Values stay below 2^53 (timestamps, positions).
 */
export function toInteger(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' || typeof value === 'bigint') return Number(value);
  throw new TypeError(`expected an integer column, got ${typeof value}`);
}

/** Reads a nullable integer column. */
export function toIntegerOrNull(value: unknown): number | null {
  return value == null ? null : toInteger(value);
}

/** Reads a boolean column: SQLite stores 0/1, PostgreSQL real booleans. */
export function toBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't';
}

/** True when `error` is a unique or primary key violation on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = (error as { code: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Runs `query` as a DELETE and returns `columns` of the rows it removed: only the rows this statement deleted, so
 * concurrent deleters never both get one. PostgreSQL through knex's `returning`; SQLite (≥ 3.35 has `RETURNING`,
 * but knex ignores it on deletes there) through the compiled statement with the clause appended.
 */
export async function deleteReturning<Row>(ctx: SqlContext, query: Knex.QueryBuilder, columns: readonly string[]): Promise<Row[]> {
  if (ctx.dialect === 'postgres') return (await query.delete().returning([...columns])) as Row[];
  const { sql, bindings } = query.delete().toSQL();
  const list = columns.map((column) => `"${column}"`).join(', ');
  return (await ctx.db.raw(`${sql} returning ${list}`, bindings)) as Row[];
}
