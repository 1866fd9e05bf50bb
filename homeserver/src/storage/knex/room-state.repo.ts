/**
 * The knex implementation of {@link RoomStateStore}, one for SQLite and PostgreSQL.
 */
import type { RoomStateStore } from '../room-state.js';
import type { SqlContext } from './dialect.js';

export function createRoomStateStore(_ctx: SqlContext): RoomStateStore {
  return {};
}
