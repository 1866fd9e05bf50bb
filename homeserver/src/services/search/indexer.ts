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
import type { SearchEntry, Storage, StoredEvent } from '../../storage/index.js';
import { searchEntryFor } from './extract.js';

/** What indexing one event did, for logs and tests. */
export type IndexOutcome = 'indexed' | 'skipped' | 'encrypted-room' | 'room-purged' | 'target-removed';

/** One change to the index that an event asks for (decided by {@link planIndexing}, written by {@link applyIndexing}). */
export type IndexChange =
  | { kind: 'purge-room'; roomId: string }
  | { kind: 'index'; entry: SearchEntry }
  | { kind: 'remove'; eventId: string };

/** Brings the index up to date with one committed event. */
export async function indexEvent(storage: Storage, event: StoredEvent): Promise<IndexOutcome> {
  const { outcome, change } = await planIndexing(storage, event);
  if (change !== null) await applyIndexing(storage, change);
  return outcome;
}

/** What indexing `event` changes, read-only (the durable reader writes it in its own transaction). */
export async function planIndexing(
  storage: Storage,
  event: StoredEvent,
  /** Whether the room is encrypted, when the caller knows (else read from the current state). */
  roomEncrypted?: boolean,
): Promise<{ outcome: IndexOutcome; change: IndexChange | null }> {
  if (event.outlier || event.rejectedReason !== null) return { outcome: 'skipped', change: null };
  if (event.type === 'm.room.encryption' && event.stateKey === '') return { outcome: 'room-purged', change: { kind: 'purge-room', roomId: event.roomId } };
  if (event.type === 'm.room.redaction') {
    const targetId = await redactedTargetToRemove(storage, event);
    return targetId === null ? { outcome: 'skipped', change: null } : { outcome: 'target-removed', change: { kind: 'remove', eventId: targetId } };
  }
  const entry = searchEntryFor(event);
  if (entry === null) return { outcome: 'skipped', change: null };
  const encrypted = roomEncrypted ?? (await storage.events.getCurrentStateEventId(event.roomId, 'm.room.encryption', '')) !== null;
  if (encrypted) return { outcome: 'encrypted-room', change: null };
  return { outcome: 'indexed', change: { kind: 'index', entry } };
}

/** Writes one planned change on `storage` (a transaction or the pool). */
export async function applyIndexing(storage: Storage, change: IndexChange): Promise<void> {
  if (change.kind === 'purge-room') await storage.search.removeRoom(change.roomId);
  else if (change.kind === 'index') await storage.search.index([change.entry]);
  else await storage.search.remove([change.eventId]);
}

/**
 * The target of a redaction to remove once the redaction applies: the rooms domain marked the target redacted, or
 * the sender redacts their own event (always allowed). A redaction that does not (yet) apply leaves it indexed;
 * queries skip the target as soon as it is marked.
 */
async function redactedTargetToRemove(storage: Storage, redaction: StoredEvent): Promise<string | null> {
  const targetId = redactedEventId(redaction);
  if (targetId === null) return null;
  const [target] = await storage.events.getEvents([targetId]);
  if (target === undefined || target.roomId !== redaction.roomId) return null;
  if (target.redactedBy === null && target.sender !== redaction.sender) return null;
  return targetId;
}

/** `content.redacts` (room v11+) or the top-level `redacts` (v1-v10). */
function redactedEventId(redaction: StoredEvent): string | null {
  const fromContent: JsonValue | undefined = redaction.pdu.content.redacts;
  if (typeof fromContent === 'string') return fromContent;
  return typeof redaction.pdu.redacts === 'string' ? redaction.pdu.redacts : null;
}
