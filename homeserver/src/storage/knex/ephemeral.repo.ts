/**
 * The knex implementation of {@link EphemeralStore}, one for SQLite and PostgreSQL.
 */
import type { EphemeralStore } from '../ephemeral.js';
import type { SqlContext } from './dialect.js';

export function createEphemeralStore(_ctx: SqlContext): EphemeralStore {
  return {};
}
