/**
 * Rooms: the one PDU pipeline (build, auth, persist, state), creation, membership, sending, state, redaction, history reads.
 * This file is the domain's only public door: http/ and other domains import from here. The service
 * interface, with a doc comment per function, is in api.ts; the public types in types.ts.
 *
 * How other domains use it:
 * - sync: `getRoomsForUser`, `getMembershipChanges`, `getRoomEvents`, `getCurrentState`, `getStateAtPosition`,
 *   `getInviteState`, `currentPosition`, `toClientEvents`, `filterEventsForUser`, and `roomPaginationToken` for
 *   `prev_batch` (GET /messages accepts `s<position>` and any token starting with `s<position>_`).
 * - push, search, e2ee: `addDerivedRowsWriter(writer)` writes their rows for each accepted event inside the event's
 *   own transaction (counts, search entry, device-list changes exist exactly when the event does).
 * - presence, sync: `onEventPersisted(listener)` runs after every committed event (accepted or, for remote PDUs,
 *   rejected: check `event.rejectedReason`), awaited in order BEFORE the notifier wakes /sync. Listener errors are
 *   logged, never fail the write.
 * - federation: `persistPdu(roomId, pdu)` for PDUs whose prev_events we hold (signatures checked by the caller).
 * - profile: `sendEvent` for member events when a displayname changes; rooms asks profile through
 *   `callbacks.getProfile`, `callbacks.getIgnoredUsers` (ignored senders are dropped from /messages, /context,
 *   /relations, /threads and aggregations) and `callbacks.copyRoomTags` (first join of an upgraded room's
 *   successor), all wired in services/registry.ts.
 * - typing, receipts, presence: `isJoined` and `getUsersSharingRoomWith` (single SQL queries).
 * - accounts: `leaveAllRooms` on deactivation (wired in the registry).
 *
 * Relations: every accepted event's `m.relates_to` is recorded in its write transaction (and forgotten when the
 * child is redacted); `toClientEvents` bundles `unsigned["m.relations"]` (m.replace, m.thread) for a whole page,
 * so every read that formats through it (sync, /messages, /event, /context, /relations, /threads, search,
 * notifications) serves the aggregations.
 *
 * Storage: state snapshots are delta chains bounded at 32 (storage/knex/room-state.repo.ts); each event records the
 * snapshot before and after it, so state at any event is two queries (and usually a cache hit).
 *
 * Concurrency: writes to one room are serialised by an in-process per-room mutex, and on PostgreSQL also by a
 * row lock on the room (`SELECT … FOR UPDATE` in the writing transaction), so several processes never build on
 * the same forward extremities inconsistently.
 */
import type { CoreDeps } from '../deps.js';
import type { RoomsService } from './api.js';
import type { RoomsCallbacks, RoomsOptions } from './types.js';
import { createRoomsServiceImpl } from './service.js';

export type * from './types.js';
export type { RoomsService } from './api.js';
export { roomPaginationToken, parseRoomPaginationToken } from './tokens.js';

/** Builds the rooms service. `callbacks` come from services/registry.ts (e.g. profile lookups). */
export function createRoomsService(deps: CoreDeps, callbacks: RoomsCallbacks = {}, options: RoomsOptions = {}): RoomsService {
  return createRoomsServiceImpl(deps, callbacks, options);
}
