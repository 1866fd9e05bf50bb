/**
 * A new room's first event, under a room ID nobody else holds, however many rooms are created at once.
 *
 * The ID is claimed by inserting the room's row (the primary key decides; on PostgreSQL a concurrent insert of the
 * same ID waits for the other transaction, then inserts nothing) before the create event is written. v12 room IDs
 * are the create event's hash, so the same creator and content in the same millisecond name the same room: a taken
 * ID is retried with `origin_server_ts` one millisecond later. Earlier versions draw a fresh random ID.
 * https://spec.matrix.org/v1.19/rooms/v12/#room-ids
 */
import { randomBytes } from 'node:crypto';
import type { RoomVersion } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { RoomsContext } from './context.js';
import { prepareLocalEvent, sessionSource, type AuthFailure, type LocalEventTemplate } from './local-event.js';
import { writeEvent, type WriteSession } from './persist.js';
import type { PersistedEvent } from './types.js';

/** Most room IDs tried for one new room (each try is one insert that found the ID taken). */
export const MAX_ROOM_ID_ATTEMPTS = 32;

/** The create event of a room that does not exist yet: no room ID, it is chosen here. */
export type CreateEventTemplate = Omit<LocalEventTemplate, 'roomId' | 'originServerTs' | 'type' | 'stateKey'>;

/** Builds, claims and writes a new room's `m.room.create` in `session`'s transaction. */
export async function persistCreateEvent(
  ctx: RoomsContext,
  session: WriteSession,
  roomVersion: RoomVersion,
  template: CreateEventTemplate,
  onAuthFailure: AuthFailure,
): Promise<PersistedEvent> {
  const start = ctx.deps.clock.now();
  for (let attempt = 0; attempt < MAX_ROOM_ID_ATTEMPTS; attempt++) {
    const roomId = roomVersion.roomIdIsCreateEventHash ? {} : { roomId: randomRoomId(ctx.deps.serverName) };
    // NOTSPEC: the timestamp moves on by one millisecond per taken v12 ID (the spec does not say how to avoid clashes).
    const full = { ...template, ...roomId, type: 'm.room.create', stateKey: '', originServerTs: start + attempt };
    const prepared = await prepareLocalEvent(ctx, sessionSource(session), roomVersion, full, [], onAuthFailure);
    const room = { roomId: prepared.roomId, roomVersion: roomVersion.id, creator: template.sender, isPublic: false };
    if (await session.tx.rooms.addRoom(room)) {
      return writeEvent(ctx, session, roomVersion, { ...prepared, rejectedReason: null, currentExtremities: [] });
    }
    ctx.deps.logger.debug({ roomId: prepared.roomId, attempt }, 'room ID taken, trying another');
  }
  throw new MatrixError(503, 'M_UNKNOWN', 'Could not find a free room ID; try again');
}

/** v1-v11: `!<18 random characters>:<server name>`. */
export function randomRoomId(serverName: string): string {
  return `!${randomBytes(14).toString('base64url').slice(0, 18)}:${serverName}`;
}
