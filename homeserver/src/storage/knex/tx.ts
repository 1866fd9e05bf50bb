/**
 * Transactions. Every multi-row write goes through {@link transaction} so it commits or rolls back
 * as a whole; repositories call it even when already inside a transaction, which knex turns into
 * a savepoint.
 */
import type { Knex } from 'knex';
import type { Queryable } from './dialect.js';

/**
 * Runs `fn` in a transaction on `db`: a new transaction on the root connection pool, or a
 * savepoint when `db` is already a transaction. Commits when `fn` resolves; rolls back and rethrows
 * when it throws.
 *
 * Not retried on PostgreSQL deadlock or serialization errors: `fn` may have side effects. Take
 * stream rows (see stream-positions.repo.ts) in a fixed order to avoid deadlocks.
 */
export async function transaction<T>(db: Queryable, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(fn);
}


/**
 * Runs `fn` all-or-nothing: inside a transaction directly on it (no savepoint: when `fn` throws, the error reaches
 * the transaction's owner, which rolls the whole transaction back), else in a transaction of its own. For
 * repository methods that write several statements and are called both alone and inside
 * {@link Storage.transaction}: each savepoint costs two round trips on the write path.
 *
 * Callers inside a transaction must not catch such an error and go on with the transaction: the statements that
 * ran before the failure would stay (SQLite; PostgreSQL refuses to continue anyway).
 */
export async function atomically<T>(db: Queryable, fn: (trx: Queryable) => Promise<T>): Promise<T> {
  return db.isTransaction === true ? fn(db) : db.transaction(fn);
}
