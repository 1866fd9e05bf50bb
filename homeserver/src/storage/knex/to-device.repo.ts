/**
 * The knex implementation of {@link ToDeviceStore}, one for SQLite and PostgreSQL.
 */
import type { ToDeviceStore } from '../to-device.js';
import type { SqlContext } from './dialect.js';

export function createToDeviceStore(_ctx: SqlContext): ToDeviceStore {
  return {};
}
