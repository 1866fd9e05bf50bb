/**
 * Checking a threaded receipt's `thread_id` against the receipted event.
 * https://spec.matrix.org/v1.19/client-server-api/#threaded-read-receipts
 */
import type { JsonValue } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { Storage, StoredEvent } from '../../storage/index.js';

/** The thread root `event` is directly in (`m.thread` relation), or null. */
export function directThreadRoot(event: StoredEvent): string | null {
  const relation: JsonValue | undefined = event.pdu.content['m.relates_to'];
  if (typeof relation !== 'object' || relation === null || Array.isArray(relation)) return null;
  const { rel_type: relType, event_id: rootId } = relation;
  return relType === 'm.thread' && typeof rootId === 'string' ? rootId : null;
}

/**
 * 400 M_INVALID_PARAM when `threadId` cannot hold `event`: not `main` nor an event ID; `main` for an event directly in a
 * thread; a root for an event directly in another thread. Events related to a thread only indirectly (a reaction to
 * a threaded message) are accepted under any root: the spec allows up to 3 hops and clients resolve those.
 */
export async function checkThreadId(storage: Storage, event: StoredEvent, threadId: string): Promise<void> {
  if (threadId !== 'main' && !threadId.startsWith('$')) {
    throw new MatrixError(400, 'M_INVALID_PARAM', 'thread_id must be "main" or the event ID of a thread root');
  }
  const root = directThreadRoot(event);
  if (threadId === 'main') {
    if (root !== null) throw new MatrixError(400, 'M_INVALID_PARAM', 'The event is in a thread, not in the main timeline');
    return;
  }
  if (root !== null && root !== threadId) throw new MatrixError(400, 'M_INVALID_PARAM', 'The event is not in that thread');
  if (root === null && event.eventId !== threadId) {
    // The root must at least be an event of the same room.
    const [rootEvent] = await storage.events.getEvents([threadId]);
    if (rootEvent === undefined || rootEvent.roomId !== event.roomId) {
      throw new MatrixError(400, 'M_INVALID_PARAM', 'thread_id is not an event of this room');
    }
  }
}
