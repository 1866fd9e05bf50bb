/** The rooms this server knows about. */
import type { RoomRecord, RoomRepository } from '../index.js';
import { toBoolean, type SqlContext } from './dialect.js';

interface RoomRow {
  room_id: string;
  room_version: string;
  creator: string;
  is_public: unknown;
}

export function createRoomRepository(ctx: SqlContext): RoomRepository {
  const { db } = ctx;
  return {
    async addRoom(room) {
      const row = { room_id: room.roomId, room_version: room.roomVersion, creator: room.creator, is_public: room.isPublic };
      // The primary key decides between concurrent creators: on PostgreSQL a second insert of the same ID waits for
      // the first transaction and then inserts nothing.
      const inserted: unknown[] = await db('rooms').insert(row).onConflict('room_id').ignore().returning('room_id');
      return inserted.length > 0;
    },

    async getRoom(roomId) {
      const row: RoomRow | undefined = await db('rooms').select('*').where({ room_id: roomId }).first();
      return row === undefined ? null : roomFromRow(row);
    },

    async setPublic(roomId, isPublic) {
      await db('rooms').where({ room_id: roomId }).update({ is_public: isPublic });
    },

    async hasPartialState(roomId) {
      const row: { partial_state: unknown } | undefined = await db('rooms').select('partial_state').where({ room_id: roomId }).first();
      return row !== undefined && toBoolean(row.partial_state);
    },

    async setPartialState(roomId, partial) {
      await db('rooms').where({ room_id: roomId }).update({ partial_state: partial });
    },
  };
}

function roomFromRow(row: RoomRow): RoomRecord {
  return { roomId: row.room_id, roomVersion: row.room_version, creator: row.creator, isPublic: toBoolean(row.is_public) };
}
