/**
 * The knex implementation of {@link AccountStore}, one for SQLite and PostgreSQL.
 */
import type { AccountStore } from '../accounts.js';
import type { SqlContext } from './dialect.js';

export function createAccountStore(_ctx: SqlContext): AccountStore {
  return {};
}
