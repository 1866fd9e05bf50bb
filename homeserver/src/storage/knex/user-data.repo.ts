/**
 * The knex implementation of {@link UserDataStore}, one for SQLite and PostgreSQL.
 */
import type { UserDataStore } from '../user-data.js';
import type { SqlContext } from './dialect.js';

export function createUserDataStore(_ctx: SqlContext): UserDataStore {
  return {};
}
