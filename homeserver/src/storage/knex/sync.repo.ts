/**
 * The knex implementation of {@link SyncStore}, one for SQLite and PostgreSQL.
 */
import type { Knex } from 'knex';
import type { StoredFilter, SyncStore } from '../sync.js';
import { chunks, insertIgnoringConflicts, toInteger, type Queryable, type SqlContext } from './dialect.js';

const FILTERS = 'sync_filters';
const FILTER_ID = /^[1-9][0-9]{0,15}$/;

export function createSyncStore(ctx: SqlContext): SyncStore {
  const { db } = ctx;
  return {
    async saveFilter(userId, json, digest) {
      await insertIgnoringConflicts(db, FILTERS, [{ user_id: userId, digest, filter_json: json }], ['user_id', 'digest']);
      const row: { filter_id: unknown } | undefined = await db(FILTERS)
        .select('filter_id')
        .where({ user_id: userId, digest })
        .first();
      if (row === undefined) throw new Error('filter insert left no row');
      return String(toInteger(row.filter_id));
    },

    async getFilter(userId, filterId): Promise<StoredFilter | null> {
      if (!FILTER_ID.test(filterId) || !Number.isSafeInteger(Number(filterId))) return null;
      const row: { filter_json: string } | undefined = await db(FILTERS)
        .select('filter_json')
        .where({ user_id: userId, filter_id: Number(filterId) })
        .first();
      return row === undefined ? null : { filterId, userId, json: row.filter_json };
    },

    getRoomsWithEvents: (roomIds, from, to) => roomsWithAcceptedEvents(db, roomIds, from, to),

    getRoomsWithHiddenStateChanges: (roomIds, from, to) =>
      roomsWithAcceptedEvents(db, roomIds, from, to, (query) => void query.where('historical', true).orWhere('state_resolved', true)),
  };
}

/**
 * Of `roomIds`, those with an accepted (not outlier, not rejected) event in `(from, to]`, optionally only events
 * matching `only`. Served by events_room_stream_idx: one short range scan per room, however long the gap.
 */
async function roomsWithAcceptedEvents(
  db: Queryable,
  roomIds: readonly string[],
  from: number,
  to: number,
  only?: (query: Knex.QueryBuilder) => void,
): Promise<Set<string>> {
  const found = new Set<string>();
  if (to <= from) return found;
  for (const chunk of chunks([...new Set(roomIds)])) {
    const query = db('events')
      .distinct('room_id')
      .whereIn('room_id', chunk)
      .where('stream_ordering', '>', from)
      .where('stream_ordering', '<=', to)
      .where('outlier', false)
      .whereNull('rejected_reason');
    if (only) void query.where(only);
    const rows: { room_id: string }[] = await query;
    for (const row of rows) found.add(row.room_id);
  }
  return found;
}
