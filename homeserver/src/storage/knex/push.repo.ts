/**
 * The knex implementation of {@link PushStore}, one for SQLite and PostgreSQL.
 */
import type { PushStore } from '../push.js';
import type { SqlContext } from './dialect.js';

export function createPushStore(_ctx: SqlContext): PushStore {
  return {};
}
