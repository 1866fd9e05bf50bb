/**
 * Path and body pieces shared by the rooms route files: ID checks that answer 400 M_INVALID_PARAM, and the
 * zod shape of an event content object.
 */
import { isValidEventId, isValidRoomId, isValidUserId, type JsonObject } from '@parley/federation';
import { z } from 'zod';
import { DEFAULT_JSON_MAX_DEPTH, parseCheckedJson } from '../../json-input.js';
import { MatrixError } from '../../matrix-error.js';
import type { RoomEventFilter } from '../../services/rooms/index.js';
import { roomEventFilterSchema } from '../../services/sync/index.js';

/** Any JSON object (event content). */
export const contentSchema = z.record(z.string(), z.unknown()).transform((value) => value as JsonObject);

/** `{ reason? }`, the body of leave/join/knock/forget. */
export const reasonBody = z.object({ reason: z.string().optional() });

/** `{ user_id, reason? }`, the body of invite/kick/ban/unban. */
export const targetBody = z.object({ user_id: z.string(), reason: z.string().optional() });

export function roomIdParam(value: string | undefined): string {
  if (value === undefined || !isValidRoomId(value)) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid room ID ${String(value)}`);
  return value;
}

export function userIdParam(value: string): string {
  if (!isValidUserId(value, { historical: true })) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid user ID ${value}`);
  return value;
}

export function eventIdParam(value: string | undefined): string {
  if (value === undefined || !isValidEventId(value)) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid event ID ${String(value)}`);
  return value;
}

/** Event types and transaction IDs: non-empty, at most 255 bytes. */
export function identifierParam(value: string | undefined, what: string): string {
  if (value === undefined || value === '' || Buffer.byteLength(value, 'utf8') > 255) {
    throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid ${what}`);
  }
  return value;
}

/** Drops undefined keys, so a request fits the service's optional (not undefined) fields. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Reads the `filter` query parameter of /messages, /context and /relations: an inline JSON RoomEventFilter. */
export function parseFilter(text: string | undefined): RoomEventFilter | undefined {
  if (text === undefined) return undefined;
  const parsed = parseCheckedJson(text, {
    maxDepth: DEFAULT_JSON_MAX_DEPTH,
    errcode: 'M_INVALID_PARAM',
    // NOTSPEC: a filter ID (from POST /user/{id}/filter) is not resolved here; only inline JSON filters are read.
    notJson: () => new MatrixError(400, 'M_INVALID_PARAM', 'filter must be a JSON RoomEventFilter'),
  });
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MatrixError(400, 'M_INVALID_PARAM', 'filter must be a JSON object');
  const result = roomEventFilterSchema.safeParse(parsed);
  if (!result.success) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid filter: ${result.error.issues[0]?.message ?? 'malformed'}`);
  return result.data as RoomEventFilter;
}
