/**
 * Keeping the search index in step with the room DAG: called for every committed event.
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-search
 *
 * - Messages, room names and topics are indexed, unless the room is end-to-end encrypted ("The search will
 *   *not* include rooms that are end to end encrypted").
 * - An `m.room.encryption` event purges the room: text sent before encryption was enabled stops being searchable
 *   too, so an encrypted room is never partly searchable.
 * - A redaction removes its target. Queries also skip events marked redacted, so a redaction the rooms domain
 *   applies later is honoured either way.
 */
import type { JsonValue } from '@parley/federation';
import type { Storage, StoredEvent } from '../../storage/index.js';
import { searchEntryFor } from './extract.js';

/** What indexing one event did, for logs and tests. */
export type IndexOutcome = 'indexed' | 'skipped' | 'encrypted-room' | 'room-purged' | 'target-removed';

/** Brings the index up to date with one committed event. */
export async function indexEvent(storage: Storage, event: StoredEvent): Promise<IndexOutcome> {
  if (event.outlier || event.rejectedReason !== null) return 'skipped';
  if (event.type === 'm.room.encryption' && event.stateKey === '') {
    await storage.search.removeRoom(event.roomId);
    return 'room-purged';
  }
  if (event.type === 'm.room.redaction') return (await removeRedactedTarget(storage, event)) ? 'target-removed' : 'skipped';

  const entry = searchEntryFor(event);
  if (entry === null) return 'skipped';
  if ((await storage.events.getCurrentStateEventId(event.roomId, 'm.room.encryption', '')) !== null) return 'encrypted-room';
  await storage.search.index([entry]);
  return 'indexed';
}

/**
 * Removes the target of a redaction once the redaction applies: the rooms domain marked the target redacted, or
 * the sender redacts their own event (always allowed). A redaction that does not (yet) apply leaves it indexed;
 * queries skip the target as soon as it is marked.
 */
async function removeRedactedTarget(storage: Storage, redaction: StoredEvent): Promise<boolean> {
  const targetId = redactedEventId(redaction);
  if (targetId === null) return false;
  const [target] = await storage.events.getEvents([targetId]);
  if (target === undefined || target.roomId !== redaction.roomId) return false;
  if (target.redactedBy === null && target.sender !== redaction.sender) return false;
  return (await storage.search.remove([targetId])) > 0;
}

/** `content.redacts` (room v11+) or the top-level `redacts` (v1-v10). */
function redactedEventId(redaction: StoredEvent): string | null {
  const fromContent: JsonValue | undefined = redaction.pdu.content.redacts;
  if (typeof fromContent === 'string') return fromContent;
  return typeof redaction.pdu.redacts === 'string' ? redaction.pdu.redacts : null;
}
