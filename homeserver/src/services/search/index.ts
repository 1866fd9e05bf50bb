/**
 * Server-side full-text search over message bodies, room names and topics (SQLite FTS5, PostgreSQL full-text).
 * This file is the domain's only public door: http/ and other domains import from here.
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-search
 *
 * Wiring (services/registry.ts): the service reads rooms through {@link SearchRoomsAccess} (memberships, history
 * visibility, client event format) and is fed by {@link SearchService.eventReader}, a durable reader of the `events`
 * stream (services/stream-readers): every committed event reaches the index exactly once, crashes included.
 */
import type { Storage, StoredEvent } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import type { StreamReaderHandler } from '../stream-readers/index.js';
import { formatResults } from './format.js';
import { applyIndexing, indexEvent, planIndexing, type IndexChange, type IndexOutcome } from './indexer.js';
import { findVisibleHits } from './run.js';
import type { RoomEventsCriteria, RoomEventsResults, Searcher, SearchRoomsAccess } from './types.js';

export type * from './types.js';
export type { IndexChange, IndexOutcome } from './indexer.js';
export { INDEXED_TYPES } from './extract.js';

export interface SearchService {
  /**
   * POST /search, category `room_events`: one page of the events the user may see whose text matches
   * `search_term`. Throws 400 M_INVALID_PARAM for a `nextBatch` that is not from the same kind of search.
   * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3search
   */
  searchRoomEvents(searcher: Searcher, request: RoomEventsCriteria, nextBatch?: string): Promise<RoomEventsResults>;
  /**
   * Brings the index up to date with one committed event (index its text, purge a room that turned encrypted,
   * drop a redacted target). Register it with `rooms.onEventPersisted`. Never throws: a failure is logged and
   * only costs that event's searchability.
   */
  indexEvent(event: StoredEvent): Promise<IndexOutcome | 'failed'>;
  /**
   * Updates the index for an event in the event's own transaction `tx` (the pipeline's derived rows);
   * `roomEncrypted`: the state after the event has `m.room.encryption`. Failures are thrown.
   */
  writeEventRows(tx: Storage, event: StoredEvent, context: { roomEncrypted: boolean }): Promise<void>;
  /** The durable `events` stream reader that keeps the index: catches up at startup on what an older version left. */
  readonly eventReader: StreamReaderHandler<IndexChange[]>;
}

export function createSearchService(deps: CoreDeps, rooms: SearchRoomsAccess): SearchService {
  const log = deps.logger.child({ component: 'search' });
  return {
    async searchRoomEvents(searcher, request, nextBatch) {
      const page = await findVisibleHits(deps.storage, rooms, searcher.userId, request, nextBatch);
      return formatResults({ storage: deps.storage, rooms, viewer: searcher }, request, page);
    },

    async indexEvent(event) {
      try {
        return await indexEvent(deps.storage, event);
      } catch (error) {
        log.error({ err: error, eventId: event.eventId, roomId: event.roomId }, 'indexing event for search failed');
        return 'failed';
      }
    },

    async writeEventRows(tx, event, context) {
      const { change } = await planIndexing(tx, event, context.roomEncrypted);
      if (change !== null) await applyIndexing(tx, change);
    },

    eventReader: {
      name: 'search',
      async prepare(events) {
        const changes: IndexChange[] = [];
        for (const { event } of events) {
          const { change } = await planIndexing(deps.storage, event);
          if (change !== null) changes.push(change);
        }
        return changes;
      },
      async write(tx, changes) {
        for (const change of changes) await applyIndexing(tx, change);
      },
    },
  };
}
