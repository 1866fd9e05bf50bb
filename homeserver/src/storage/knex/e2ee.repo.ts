/**
 * The knex implementation of {@link E2eeStore}, one for SQLite and PostgreSQL.
 */
import type { E2eeStore } from '../e2ee.js';
import type { SqlContext } from './dialect.js';

export function createE2eeStore(_ctx: SqlContext): E2eeStore {
  return {};
}
