/**
 * What text of an event goes into the search index, per the keys the spec lets clients search.
 * https://spec.matrix.org/v1.19/client-server-api/#room_events
 */
import type { JsonObject, JsonValue } from '@parley/federation';
import type { SearchEntry, SearchKey, StoredEvent } from '../../storage/index.js';

/** The event types whose text is indexed, with the key each is searched under. */
export const INDEXED_TYPES: Readonly<Record<string, SearchKey>> = {
  'm.room.message': 'content.body',
  'm.room.name': 'content.name',
  'm.room.topic': 'content.topic',
};

/**
 * The index entry of `event`, or null when it has no searchable text: only accepted timeline events of the
 * three indexed types, with string text. `m.room.encrypted` never qualifies (its type is not indexed).
 */
export function searchEntryFor(event: StoredEvent): SearchEntry | null {
  if (event.outlier || event.rejectedReason !== null || event.redactedBy !== null) return null;
  const key = INDEXED_TYPES[event.type];
  if (key === undefined) return null;
  // m.room.name / m.room.topic only count as room state (state_key ""), not as stray timeline events.
  if (key !== 'content.body' && event.stateKey !== '') return null;
  const body = searchableText(key, event.pdu.content);
  if (body === null) return null;
  return {
    eventId: event.eventId,
    roomId: event.roomId,
    sender: event.sender,
    type: event.type,
    key,
    streamOrdering: event.streamOrdering,
    originServerTs: event.originServerTs,
    body,
  };
}

function searchableText(key: SearchKey, content: JsonValue | undefined): string | null {
  if (!isObject(content)) return null;
  if (key === 'content.body') return nonEmpty(content.body);
  if (key === 'content.name') return nonEmpty(content.name);
  // Topics: `topic` and the text/plain representation in `m.topic`, both when they differ.
  const texts = [nonEmpty(content.topic), plainTopic(content['m.topic'])].filter((text): text is string => text !== null);
  const distinct = [...new Set(texts)];
  return distinct.length === 0 ? null : distinct.join('\n');
}

/** The `body` of the `text/plain` (or unlabelled, which defaults to text/plain) entry of `m.topic.m.text`. */
function plainTopic(topic: JsonValue | undefined): string | null {
  if (!isObject(topic) || !Array.isArray(topic['m.text'])) return null;
  for (const representation of topic['m.text']) {
    if (!isObject(representation)) continue;
    const mimetype = representation.mimetype ?? 'text/plain';
    if (mimetype === 'text/plain') return nonEmpty(representation.body);
  }
  return null;
}

function nonEmpty(value: JsonValue | undefined): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
