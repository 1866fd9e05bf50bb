/**
 * The knex implementation of {@link SyncStore}, one for SQLite and PostgreSQL.
 */
import type { SyncStore } from '../sync.js';
import type { SqlContext } from './dialect.js';

export function createSyncStore(_ctx: SqlContext): SyncStore {
  return {};
}
