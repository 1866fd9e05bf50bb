/**
 * Room events, their DAG edges, forward extremities and current state.
 * https://spec.matrix.org/v1.19/server-server-api/#pdus
 */
import { referencedEventIds, type Pdu } from '@parley/federation';
import type { EventEdges, EventRepository, NewEvent, RoomTopologyQuery, StateEntry, StoredEvent, TopologicalPoint } from '../index.js';
import {
  chunks,
  insertIgnoringConflicts,
  toBoolean,
  toInteger,
  upsert,
  type Queryable,
  type SqlContext,
} from './dialect.js';
import { nextStreamPosition } from './stream-positions.repo.js';
import { atomically } from './tx.js';

interface EventRow {
  event_id: string;
  room_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  depth: unknown;
  origin_server_ts: unknown;
  stream_ordering: unknown;
  json: string;
  rejected_reason: string | null;
  outlier: unknown;
  redacted_by: string | null;
  historical: unknown;
  state_resolved: unknown;
}

export function createEventRepository(ctx: SqlContext): EventRepository {
  const { db } = ctx;
  return {
    persist: (event) => atomically(db, (trx) => persistEvent(trx, event)),

    async getEvents(eventIds) {
      const byId = new Map<string, StoredEvent>();
      for (const chunk of chunks(unique(eventIds))) {
        const rows: EventRow[] = await db('events').select('*').whereIn('event_id', chunk);
        for (const row of rows) byId.set(row.event_id, eventFromRow(row));
      }
      return eventIds.flatMap((id) => byId.get(id) ?? []);
    },

    haveEvents: (eventIds) => knownEventIds(db, eventIds),

    async getEdges(eventIds) {
      const edges = new Map<string, EventEdges>();
      for (const id of await knownEventIds(db, eventIds)) edges.set(id, { prevEventIds: [], authEventIds: [] });
      for (const chunk of chunks([...edges.keys()])) {
        const prevRows: { event_id: string; prev_event_id: string }[] = await db('event_edges')
          .select('event_id', 'prev_event_id')
          .whereIn('event_id', chunk);
        for (const row of prevRows) edges.get(row.event_id)?.prevEventIds.push(row.prev_event_id);
        const authRows: { event_id: string; auth_event_id: string }[] = await db('event_auth_edges')
          .select('event_id', 'auth_event_id')
          .whereIn('event_id', chunk);
        for (const row of authRows) edges.get(row.event_id)?.authEventIds.push(row.auth_event_id);
      }
      for (const edge of edges.values()) {
        edge.prevEventIds.sort();
        edge.authEventIds.sort();
      }
      return edges;
    },

    async markRedacted(eventId, redactionEventId) {
      await db('events').where({ event_id: eventId }).update({ redacted_by: redactionEventId });
    },

    async replaceEventJson(eventId, pdu) {
      await db('events').where({ event_id: eventId }).update({ json: JSON.stringify(pdu) });
    },

    async getRoomEventsByStream(roomId, options) {
      const query = timeline(db, roomId);
      if (options.liveOnly === true) query.where({ historical: false });
      if (options.after !== undefined) query.where('stream_ordering', '>', options.after);
      if (options.upTo !== undefined) query.where('stream_ordering', '<=', options.upTo);
      const rows: EventRow[] = await query
        .orderBy('stream_ordering', options.direction === 'forward' ? 'asc' : 'desc')
        .limit(Math.max(0, options.limit));
      return rows.map(eventFromRow);
    },

    async getLastEventAtOrBefore(roomId, position) {
      const row: EventRow | undefined = await timeline(db, roomId)
        .where('stream_ordering', '<=', position)
        .orderBy('stream_ordering', 'desc')
        .first();
      return row === undefined ? null : eventFromRow(row);
    },

    getRoomEventsByTopology: (roomId, query) => byTopology(db, roomId, query),

    async getTopologicalPointAt(roomId, position) {
      const row: { depth: unknown; stream_ordering: unknown } | undefined = await timeline(db, roomId)
        .clearSelect()
        .select('depth', 'stream_ordering')
        .where({ historical: false })
        .where('stream_ordering', '<=', position)
        .orderBy('stream_ordering', 'desc')
        .first();
      return row === undefined ? null : { depth: toInteger(row.depth), stream: toInteger(row.stream_ordering) };
    },

    async markStateResolved(eventId) {
      await db('events').where({ event_id: eventId }).update({ state_resolved: true });
    },

    async getEventsAfter(after, limit) {
      const rows: EventRow[] = await db('events')
        .select('*')
        .where({ outlier: false })
        .where('stream_ordering', '>', after)
        .orderBy('stream_ordering', 'asc')
        .limit(Math.max(0, limit));
      return rows.map(eventFromRow);
    },

    async getForwardExtremities(roomId) {
      const rows: { event_id: string }[] = await db('room_forward_extremities')
        .select('event_id')
        .where({ room_id: roomId })
        .orderBy('event_id');
      return rows.map((row) => row.event_id);
    },

    updateForwardExtremities: (roomId, delta) =>
      atomically(db, async (trx) => {
        for (const chunk of chunks(unique(delta.remove))) {
          await trx('room_forward_extremities').where({ room_id: roomId }).whereIn('event_id', chunk).delete();
        }
        const rows = unique(delta.add).map((eventId) => ({ room_id: roomId, event_id: eventId }));
        await insertIgnoringConflicts(trx, 'room_forward_extremities', rows, ['room_id', 'event_id']);
      }),

    async getCurrentState(roomId) {
      const rows: { type: string; state_key: string; event_id: string }[] = await db('current_state_events')
        .select('type', 'state_key', 'event_id')
        .where({ room_id: roomId })
        .orderBy([{ column: 'type' }, { column: 'state_key' }]);
      return rows.map((row): StateEntry => ({ type: row.type, stateKey: row.state_key, eventId: row.event_id }));
    },

    async getCurrentStateEventId(roomId, type, stateKey) {
      const row: { event_id: string } | undefined = await db('current_state_events')
        .select('event_id')
        .where({ room_id: roomId, type, state_key: stateKey })
        .first();
      return row?.event_id ?? null;
    },

    updateCurrentState: (roomId, delta) =>
      atomically(db, async (trx) => {
        // Removals grouped by type: one statement per type instead of one per key.
        const keysByType = new Map<string, string[]>();
        for (const { type, stateKey } of delta.remove) keysByType.set(type, [...(keysByType.get(type) ?? []), stateKey]);
        for (const [type, stateKeys] of keysByType) {
          for (const chunk of chunks(unique(stateKeys))) {
            await trx('current_state_events').where({ room_id: roomId, type }).whereIn('state_key', chunk).delete();
          }
        }
        const rows = delta.set.map((entry) => ({
          room_id: roomId,
          type: entry.type,
          state_key: entry.stateKey,
          event_id: entry.eventId,
        }));
        await upsert(trx, 'current_state_events', rows, { conflict: ['room_id', 'type', 'state_key'], update: ['event_id'] });
      }),
  };
}

/** Writes the event row, its edges and its stream position; a known event ID writes nothing. */
async function persistEvent(trx: Queryable, event: NewEvent): Promise<{ streamOrdering: number; inserted: boolean }> {
  const existing = await streamOrderingOf(trx, event.eventId);
  if (existing !== null) return { streamOrdering: existing, inserted: false };

  const streamOrdering = await nextStreamPosition(trx, 'events');
  // A concurrent process may have stored the same event since the check: then this insert does
  // nothing, the position is left unused (a gap, harmless) and we report the stored one.
  const inserted: unknown[] = await trx('events')
    .insert(eventRow(event, streamOrdering))
    .onConflict('event_id')
    .ignore()
    .returning('event_id');
  if (inserted.length === 0) {
    const stored = await streamOrderingOf(trx, event.eventId);
    if (stored === null) throw new Error(`event ${event.eventId} neither inserted nor found`);
    return { streamOrdering: stored, inserted: false };
  }

  const prevRows = unique(referencedEventIds(event.pdu.prev_events)).map((id) => ({ event_id: event.eventId, prev_event_id: id }));
  const authRows = unique(referencedEventIds(event.pdu.auth_events)).map((id) => ({ event_id: event.eventId, auth_event_id: id }));
  for (const chunk of chunks(prevRows)) await trx('event_edges').insert(chunk);
  for (const chunk of chunks(authRows)) await trx('event_auth_edges').insert(chunk);
  return { streamOrdering, inserted: true };
}

/**
 * Events strictly after (`>`) or at-or-before (`<=`) a topological point, as a row-value comparison written out
 * (SQLite and PostgreSQL both plan it on events_room_topo_idx).
 */
function topoBound(query: ReturnType<typeof timeline>, op: '>' | '<=', point: TopologicalPoint): void {
  if (op === '>') {
    query.where((q) => void q.where('depth', '>', point.depth).orWhere((r) => void r.where('depth', point.depth).where('stream_ordering', '>', point.stream)));
  } else {
    query.where((q) => void q.where('depth', '<', point.depth).orWhere((r) => void r.where('depth', point.depth).where('stream_ordering', '<=', point.stream)));
  }
}

async function byTopology(db: Queryable, roomId: string, options: RoomTopologyQuery): Promise<StoredEvent[]> {
  const query = timeline(db, roomId);
  const backward = options.direction === 'backward';
  topoBound(query, backward ? '<=' : '>', options.from);
  if (options.to !== undefined) topoBound(query, backward ? '>' : '<=', options.to);
  const order = backward ? 'desc' : 'asc';
  const rows: EventRow[] = await query
    .orderBy([{ column: 'depth', order }, { column: 'stream_ordering', order }])
    .limit(Math.max(0, options.limit));
  return rows.map(eventFromRow);
}

/** A room's timeline: accepted events that have their place in the DAG. */
function timeline(db: Queryable, roomId: string) {
  return db('events').select('*').where({ room_id: roomId, outlier: false }).whereNull('rejected_reason');
}

async function streamOrderingOf(db: Queryable, eventId: string): Promise<number | null> {
  const row: { stream_ordering: unknown } | undefined = await db('events')
    .select('stream_ordering')
    .where({ event_id: eventId })
    .first();
  return row === undefined ? null : toInteger(row.stream_ordering);
}

async function knownEventIds(db: Queryable, eventIds: readonly string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (const chunk of chunks(unique(eventIds))) {
    const rows: { event_id: string }[] = await db('events').select('event_id').whereIn('event_id', chunk);
    for (const row of rows) known.add(row.event_id);
  }
  return known;
}

function eventRow(event: NewEvent, streamOrdering: number): Omit<EventRow, 'redacted_by' | 'state_resolved'> {
  const { pdu } = event;
  return {
    event_id: event.eventId,
    room_id: event.roomId,
    type: pdu.type,
    state_key: typeof pdu.state_key === 'string' ? pdu.state_key : null,
    sender: pdu.sender,
    depth: pdu.depth,
    origin_server_ts: pdu.origin_server_ts,
    stream_ordering: streamOrdering,
    json: JSON.stringify(pdu),
    rejected_reason: event.rejectedReason,
    outlier: event.outlier,
    historical: event.historical === true,
  };
}

function eventFromRow(row: EventRow): StoredEvent {
  return {
    eventId: row.event_id,
    roomId: row.room_id,
    type: row.type,
    stateKey: row.state_key,
    sender: row.sender,
    depth: toInteger(row.depth),
    originServerTs: toInteger(row.origin_server_ts),
    streamOrdering: toInteger(row.stream_ordering),
    // Our own write of a PDU that was validated before it was persisted.
    pdu: JSON.parse(row.json) as Pdu,
    outlier: toBoolean(row.outlier),
    rejectedReason: row.rejected_reason,
    redactedBy: row.redacted_by,
    // Flags are present only when set (absent = false), like the optional fields of NewEvent.
    ...(toBoolean(row.historical) ? { historical: true } : {}),
    ...(toBoolean(row.state_resolved) ? { stateResolved: true } : {}),
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
