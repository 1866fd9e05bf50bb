/**
 * The knex implementation of {@link RoomRelationsStore} (part of the room-state store), one for SQLite and
 * PostgreSQL. Relationship rows are described in migrations/0009_relations_aliases.ts.
 */
import type { RelationRecord, RoomRelationsStore, ThreadRootRecord, ThreadSenderSummary } from '../room-state.js';
import { chunks, insertIgnoringConflicts, toInteger, type SqlContext } from './dialect.js';

interface RelationRow {
  event_id: string;
  room_id: string;
  relates_to: string;
  rel_type: string;
  type: string;
  sender: string;
  stream_ordering: unknown;
  origin_server_ts: unknown;
  aggregation_key: string | null;
}

const THREAD = 'm.thread';

export function createRoomRelationsStore(ctx: SqlContext): RoomRelationsStore {
  const { db } = ctx;
  return {
    async addRelations(records) {
      const rows = records.map((record) => ({
        event_id: record.eventId,
        room_id: record.roomId,
        relates_to: record.parentId,
        rel_type: record.relType,
        type: record.eventType,
        sender: record.sender,
        stream_ordering: record.streamOrdering,
        origin_server_ts: record.originServerTs,
        aggregation_key: record.key,
      }));
      await insertIgnoringConflicts(db, 'event_relations', rows, ['event_id']);
    },

    async removeRelation(eventId) {
      await db('event_relations').where({ event_id: eventId }).delete();
    },

    async getRelation(eventId) {
      const row: RelationRow | undefined = await db('event_relations').select('*').where({ event_id: eventId }).first();
      return row === undefined ? null : relationFromRow(row);
    },

    async getRelations(roomId, parentId, query) {
      const select = db('event_relations').select('*').where({ relates_to: parentId, room_id: roomId });
      if (query.relType !== undefined) select.where({ rel_type: query.relType });
      if (query.eventType !== undefined) select.where({ type: query.eventType });
      if (query.after !== undefined) select.where('stream_ordering', '>', query.after);
      if (query.upTo !== undefined) select.where('stream_ordering', '<=', query.upTo);
      const rows: RelationRow[] = await select.orderBy('stream_ordering', query.direction === 'forward' ? 'asc' : 'desc').limit(query.limit);
      return rows.map(relationFromRow);
    },

    async getRelationsOfParents(parentIds, relType) {
      const found: RelationRecord[] = [];
      for (const chunk of chunks([...new Set(parentIds)])) {
        const rows: RelationRow[] = await db('event_relations').select('*').whereIn('relates_to', chunk).where({ rel_type: relType });
        found.push(...rows.map(relationFromRow));
      }
      return found.sort((a, b) => a.streamOrdering - b.streamOrdering);
    },

    async getThreadSummaries(rootIds) {
      const summaries: ThreadSenderSummary[] = [];
      for (const chunk of chunks([...new Set(rootIds)])) {
        const rows: { relates_to: string; sender: string; count: unknown; latest: unknown }[] = await db('event_relations')
          .select('relates_to', 'sender')
          .count({ count: '*' })
          .max({ latest: 'stream_ordering' })
          .whereIn('relates_to', chunk)
          .where({ rel_type: THREAD })
          .groupBy('relates_to', 'sender');
        // Positions are unique across events: the latest reply of each (root, sender) is found by its position.
        const latestIds = new Map<number, string>();
        for (const positions of chunks(rows.map((row) => toInteger(row.latest)))) {
          const found: { event_id: string; stream_ordering: unknown }[] = await db('event_relations')
            .select('event_id', 'stream_ordering')
            .whereIn('relates_to', chunk)
            .where({ rel_type: THREAD })
            .whereIn('stream_ordering', positions);
          for (const row of found) latestIds.set(toInteger(row.stream_ordering), row.event_id);
        }
        for (const row of rows) {
          const latest = toInteger(row.latest);
          summaries.push({ rootId: row.relates_to, sender: row.sender, count: toInteger(row.count), latestStreamOrdering: latest, latestEventId: latestIds.get(latest) ?? '' });
        }
      }
      return summaries;
    },

    async listThreads(roomId, options) {
      const query = db('event_relations as r')
        .select('r.relates_to')
        .max({ latest: 'r.stream_ordering' })
        .where({ 'r.room_id': roomId, 'r.rel_type': THREAD })
        .groupBy('r.relates_to');
      if (options.upTo !== undefined) query.havingRaw('max(r.stream_ordering) <= ?', [options.upTo]);
      if (options.participant !== undefined) {
        const participant = options.participant;
        query.where((where) => {
          where
            .whereIn('r.relates_to', db('event_relations').select('relates_to').where({ room_id: roomId, rel_type: THREAD, sender: participant }))
            .orWhereIn('r.relates_to', db('events').select('event_id').where({ room_id: roomId, sender: participant }));
        });
      }
      const rows = (await query.orderBy('latest', 'desc').limit(options.limit)) as unknown as { relates_to: string; latest: unknown }[];
      return rows.map((row): ThreadRootRecord => ({ rootId: row.relates_to, latestStreamOrdering: toInteger(row.latest) }));
    },

    async findAnnotation(parentId, sender, eventType, key) {
      const row: { event_id: string } | undefined = await db('event_relations')
        .select('event_id')
        .where({ relates_to: parentId, rel_type: 'm.annotation', sender, type: eventType, aggregation_key: key })
        .first();
      return row?.event_id ?? null;
    },

    async getAliasCreator(alias) {
      const row: { creator: string } | undefined = await db('room_aliases').select('creator').where({ alias }).first();
      return row?.creator ?? null;
    },

    async moveAliases(fromRoomId, toRoomId) {
      const rows: { alias: string }[] = await db('room_aliases').select('alias').where({ room_id: fromRoomId }).orderBy('alias');
      if (rows.length > 0) await db('room_aliases').where({ room_id: fromRoomId }).update({ room_id: toRoomId });
      return rows.map((row) => row.alias);
    },

    async listPublicRoomIds() {
      const rows: { room_id: string }[] = await db('rooms').select('room_id').where({ is_public: true }).orderBy('room_id');
      return rows.map((row) => row.room_id);
    },

    async countJoinedMembers(roomIds) {
      const counts = new Map<string, number>(roomIds.map((roomId) => [roomId, 0]));
      for (const chunk of chunks([...new Set(roomIds)])) {
        const rows: { room_id: string; count: unknown }[] = await db('room_memberships')
          .select('room_id')
          .count({ count: '*' })
          .whereIn('room_id', chunk)
          .where({ membership: 'join' })
          .groupBy('room_id');
        for (const row of rows) counts.set(row.room_id, toInteger(row.count));
      }
      return counts;
    },

    async getUsersSharingRoomWith(userId) {
      const rows: { user_id: string }[] = await db('room_memberships as other')
        .distinct('other.user_id')
        .join('room_memberships as own', 'own.room_id', 'other.room_id')
        .where({ 'own.user_id': userId, 'own.membership': 'join', 'other.membership': 'join' })
        .orderBy('other.user_id');
      return rows.map((row) => row.user_id);
    },
  };
}

function relationFromRow(row: RelationRow): RelationRecord {
  return {
    eventId: row.event_id,
    roomId: row.room_id,
    parentId: row.relates_to,
    relType: row.rel_type,
    eventType: row.type,
    sender: row.sender,
    streamOrdering: toInteger(row.stream_ordering),
    originServerTs: toInteger(row.origin_server_ts),
    key: row.aggregation_key,
  };
}
