/**
 * Path and body pieces shared by the rooms route files: ID checks that answer 400 M_INVALID_PARAM, and the
 * zod shape of an event content object.
 */
import { isValidEventId, isValidRoomId, isValidUserId, type JsonObject } from '@parley/federation';
import { z } from 'zod';
import { MatrixError } from '../../matrix-error.js';

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
