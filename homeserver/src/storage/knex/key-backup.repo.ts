/**
 * The knex implementation of {@link KeyBackupStore}, one for SQLite and PostgreSQL.
 */
import type { KeyBackupStore } from '../key-backup.js';
import type { SqlContext } from './dialect.js';

export function createKeyBackupStore(_ctx: SqlContext): KeyBackupStore {
  return {};
}
