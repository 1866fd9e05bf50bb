/**
 * Bundled aggregations: `unsigned["m.relations"]` on events served to clients, computed for a whole page of
 * events at once (two queries for the page, one more for the child events bundled).
 * - `m.replace`: the most recent valid edit, formatted as normal; never on a redacted original. The original's
 *   content is left as it is (spec v1.7+).
 * - `m.thread`: `latest_event` (itself with its edit bundled), `count`, `current_user_participated`.
 * - `m.annotation` is not aggregated by the server.
 * Children sent by users the viewer ignores are left out. State events get no aggregations.
 * https://spec.matrix.org/v1.19/client-server-api/#aggregations-of-child-events
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-aggregation-of-mreplace-relationships
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-aggregation-of-mthread-relationships
 */
import type { JsonObject } from '@parley/federation';
import type { RelationRecord, Storage, StoredEvent, ThreadSenderSummary } from '../../storage/index.js';
import type { RoomsContext } from './context.js';
import { ignoredUsersOf } from './ignored.js';
import { relationOf } from './relations-write.js';
import type { ClientEvent, EventViewer } from './types.js';

/** Which aggregations to bundle: all, or only edits (for events nested in another aggregation, which avoids loops). */
export type AggregationDepth = 'all' | 'edits' | 'none';

/** Formats child events for bundling (the rooms formatter, one level down). */
export type ChildFormatter = (events: readonly StoredEvent[], depth: AggregationDepth) => Promise<ClientEvent[]>;

/** Adds `unsigned["m.relations"]` to `formatted[i]` (the client form of `events[i]`) where children exist. */
export async function bundleAggregations(
  ctx: RoomsContext,
  storage: Storage,
  events: readonly StoredEvent[],
  formatted: readonly ClientEvent[],
  viewer: EventViewer,
  depth: AggregationDepth,
  formatChildren: ChildFormatter,
): Promise<void> {
  if (depth === 'none') return;
  const parents = events.filter((event) => event.stateKey === null && event.rejectedReason === null);
  if (parents.length === 0) return;
  const ignored = await ignoredUsersOf(ctx, viewer.userId);
  const editable = parents.filter((event) => event.redactedBy === null && relationOf(event.pdu.content)?.relType !== 'm.replace');
  const [editRows, threadRows] = await Promise.all([
    editable.length === 0 ? [] : storage.roomState.getRelationsOfParents(editable.map((event) => event.eventId), 'm.replace'),
    depth === 'all' ? storage.roomState.getThreadSummaries(parents.map((event) => event.eventId)) : [],
  ]);
  const edits = await latestEdits(storage, editable, editRows, ignored);
  const threads = summariseThreads(parents, threadRows, ignored, viewer.userId);

  const children = await storage.events.getEvents([...new Set([...edits.values(), ...[...threads.values()].map((thread) => thread.latestEventId)])]);
  const childById = new Map(children.map((event) => [event.eventId, event]));
  const editEvents = [...edits.values()].flatMap((id) => childById.get(id) ?? []);
  const latestEvents = [...threads.values()].flatMap((thread) => childById.get(thread.latestEventId) ?? []);
  const [formattedEdits, formattedLatest] = await Promise.all([formatChildren(editEvents, 'none'), formatChildren(latestEvents, 'edits')]);
  const byId = new Map([...formattedEdits, ...formattedLatest].map((event) => [event.event_id, event]));

  for (const [index, event] of events.entries()) {
    const relations: JsonObject = {};
    const editId = edits.get(event.eventId);
    const edit = editId === undefined ? undefined : byId.get(editId);
    if (edit !== undefined) relations['m.replace'] = edit as unknown as JsonObject;
    const thread = threads.get(event.eventId);
    const latest = thread === undefined ? undefined : byId.get(thread.latestEventId);
    if (thread !== undefined && latest !== undefined) {
      relations['m.thread'] = { latest_event: latest as unknown as JsonObject, count: thread.count, current_user_participated: thread.participated };
    }
    const target = formatted[index];
    if (target === undefined || Object.keys(relations).length === 0) continue;
    target.unsigned = { ...(target.unsigned ?? {}), 'm.relations': relations };
  }
}

/**
 * The most recent valid edit of each original: same sender, same type, with `m.new_content` (unless encrypted);
 * the latest by `origin_server_ts`, then the lexicographically largest event ID.
 * https://spec.matrix.org/v1.19/client-server-api/#validity-of-replacement-events
 */
async function latestEdits(
  storage: Storage,
  originals: readonly StoredEvent[],
  rows: readonly RelationRecord[],
  ignored: ReadonlySet<string>,
): Promise<Map<string, string>> {
  const byId = new Map(originals.map((event) => [event.eventId, event]));
  const candidates = rows.filter((row) => {
    const original = byId.get(row.parentId);
    return original !== undefined && row.roomId === original.roomId && row.sender === original.sender && row.eventType === original.type && !ignored.has(row.sender);
  });
  if (candidates.length === 0) return new Map();
  const editEvents = new Map((await storage.events.getEvents(candidates.map((row) => row.eventId))).map((event) => [event.eventId, event]));
  const latest = new Map<string, RelationRecord>();
  for (const row of candidates) {
    const edit = editEvents.get(row.eventId);
    if (edit === undefined || edit.redactedBy !== null || edit.stateKey !== null) continue;
    const newContent = edit.pdu.content['m.new_content'];
    const hasNewContent = typeof newContent === 'object' && newContent !== null && !Array.isArray(newContent);
    if (!hasNewContent && edit.type !== 'm.room.encrypted') continue;
    const best = latest.get(row.parentId);
    if (best === undefined || row.originServerTs > best.originServerTs || (row.originServerTs === best.originServerTs && row.eventId > best.eventId)) {
      latest.set(row.parentId, row);
    }
  }
  return new Map([...latest].map(([parentId, row]) => [parentId, row.eventId]));
}

interface ThreadSummary {
  count: number;
  latestEventId: string;
  participated: boolean;
}

/** Counts and latest replies per thread root, without ignored senders. */
function summariseThreads(
  roots: readonly StoredEvent[],
  rows: readonly ThreadSenderSummary[],
  ignored: ReadonlySet<string>,
  viewerId: string,
): Map<string, ThreadSummary> {
  const rootById = new Map(roots.map((event) => [event.eventId, event]));
  const summaries = new Map<string, ThreadSummary & { latestPosition: number }>();
  for (const row of rows) {
    const root = rootById.get(row.rootId);
    if (root === undefined || ignored.has(row.sender)) continue;
    const summary = summaries.get(row.rootId) ?? { count: 0, latestEventId: '', latestPosition: -1, participated: root.sender === viewerId };
    summary.count += row.count;
    if (row.sender === viewerId) summary.participated = true;
    if (row.latestStreamOrdering > summary.latestPosition) {
      summary.latestPosition = row.latestStreamOrdering;
      summary.latestEventId = row.latestEventId;
    }
    summaries.set(row.rootId, summary);
  }
  return new Map([...summaries].map(([rootId, { count, latestEventId, participated }]) => [rootId, { count, latestEventId, participated }]));
}
