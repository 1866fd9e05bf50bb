/**
 * The write side of event relationships: recording `m.relates_to` of each persisted event, and the checks the
 * server makes on local sends (duplicate annotations, threads off child events).
 * https://spec.matrix.org/v1.19/client-server-api/#forming-relationships-between-events
 */
import type { JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { Storage, StoredEvent } from '../../storage/index.js';

/** The relationship an event content declares, or null (replies without `rel_type` are not relations here). */
export interface EventRelation {
  relType: string;
  parentId: string;
  /** `key` of an annotation. */
  key: string | null;
}

/** Reads `m.relates_to` (the cleartext one for encrypted events); null when it does not fit the schema. */
export function relationOf(content: JsonObject): EventRelation | null {
  const relatesTo = content['m.relates_to'];
  if (typeof relatesTo !== 'object' || relatesTo === null || Array.isArray(relatesTo)) return null;
  const { rel_type: relType, event_id: parentId, key } = relatesTo;
  if (typeof relType !== 'string' || typeof parentId !== 'string' || relType === '' || parentId === '') return null;
  return { relType, parentId, key: typeof key === 'string' ? key : null };
}

/** Records the relationship of an accepted event, inside its write transaction. */
export async function recordRelation(tx: Storage, event: StoredEvent): Promise<void> {
  const relation = relationOf(event.pdu.content);
  if (relation === null) return;
  await tx.roomState.addRelations([
    {
      eventId: event.eventId,
      roomId: event.roomId,
      parentId: relation.parentId,
      relType: relation.relType,
      eventType: event.type,
      sender: event.sender,
      streamOrdering: event.streamOrdering,
      originServerTs: event.originServerTs,
      key: relation.key,
    },
  ]);
}

/**
 * Checks a local client event's relationship before it is built:
 * - a second annotation with the same type and key on the same event: 400 M_DUPLICATE_ANNOTATION
 *   (https://spec.matrix.org/v1.19/client-server-api/#avoiding-duplicate-annotations);
 * - a thread off an event that is itself a child (has an `m.relates_to` with a `rel_type`): 400 M_UNKNOWN
 *   (https://spec.matrix.org/v1.19/client-server-api/#validation-of-mthread-relationships).
 */
export async function checkLocalRelation(tx: Storage, roomId: string, sender: string, type: string, content: JsonObject): Promise<void> {
  const relation = relationOf(content);
  if (relation === null) return;
  if (relation.relType === 'm.annotation' && relation.key !== null) {
    if ((await tx.roomState.findAnnotation(relation.parentId, sender, type, relation.key)) !== null) {
      throw new MatrixError(400, 'M_DUPLICATE_ANNOTATION', 'You already sent this annotation for this event');
    }
  }
  if (relation.relType === 'm.thread') {
    const [parent] = await tx.events.getEvents([relation.parentId]);
    if (parent !== undefined && parent.roomId === roomId && relationOf(parent.pdu.content) !== null) {
      throw new MatrixError(400, 'M_UNKNOWN', 'Cannot start a thread from an event with a relation');
    }
  }
}
