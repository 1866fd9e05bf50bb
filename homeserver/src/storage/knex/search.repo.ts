/**
 * The knex implementation of {@link SearchStore}, one for SQLite and PostgreSQL.
 */
import type { SearchStore } from '../search.js';
import type { SqlContext } from './dialect.js';

export function createSearchStore(_ctx: SqlContext): SearchStore {
  return {};
}
