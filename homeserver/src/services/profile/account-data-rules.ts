/**
 * Rules for account data writes by clients, tags and the ignored-user list (pure).
 */
import { isJsonObject, isValidRoomId, isValidUserId, type JsonObject, type JsonValue } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';

/**
 * Types the server manages: clients may read them but not set them (405).
 * https://spec.matrix.org/v1.19/client-server-api/#client-config
 */
export const SERVER_MANAGED_TYPES: ReadonlySet<string> = new Set(['m.fully_read', 'm.push_rules']);

export const IGNORED_USER_LIST = 'm.ignored_user_list';
export const TAG_TYPE = 'm.tag';

/** Event types and tags are limited to 255 bytes. https://spec.matrix.org/v1.19/client-server-api/#size-limits */
const MAX_TYPE_BYTES = 255;

/** Throws 403 unless the requester acts on their own account data. */
export function assertOwnAccount(requesterId: string, userId: string): void {
  if (requesterId !== userId) throw new MatrixError(403, 'M_FORBIDDEN', "Cannot access another user's account data");
}

/** Throws 400 M_INVALID_PARAM for a malformed room ID. */
export function checkRoomId(roomId: string): void {
  if (!isValidRoomId(roomId)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid room ID');
}

/** Throws 400 M_INVALID_PARAM for an empty or over-long account data type. */
export function checkType(type: string): void {
  if (type === '' || Buffer.byteLength(type, 'utf8') > MAX_TYPE_BYTES) {
    throw new MatrixError(400, 'M_INVALID_PARAM', `Account data types are 1 to ${MAX_TYPE_BYTES} bytes`);
  }
}

/** Checks content a client PUTs: an object, not a server-managed type, and the ignored-user list well formed. */
export function checkClientAccountData(type: string, content: unknown): JsonObject {
  checkType(type);
  if (SERVER_MANAGED_TYPES.has(type)) {
    throw new MatrixError(405, 'M_BAD_JSON', `Cannot set ${type} through this API`);
  }
  if (!isJsonObject(content)) throw new MatrixError(400, 'M_BAD_JSON', 'Content must be a JSON object');
  if (type === IGNORED_USER_LIST) checkIgnoredUserList(content);
  return content;
}

/**
 * `m.ignored_user_list`: `ignored_users` is required and maps user IDs to objects.
 * https://spec.matrix.org/v1.19/client-server-api/#mignored_user_list
 */
export function checkIgnoredUserList(content: JsonObject): void {
  const ignored = content.ignored_users;
  if (!isJsonObject(ignored)) throw new MatrixError(400, 'M_BAD_JSON', 'ignored_users must be an object');
  for (const [userId, value] of Object.entries(ignored)) {
    if (!isValidUserId(userId, { historical: true })) {
      throw new MatrixError(400, 'M_BAD_JSON', `ignored_users has an invalid user ID: ${userId}`);
    }
    if (!isJsonObject(value)) throw new MatrixError(400, 'M_BAD_JSON', 'ignored_users values must be objects');
  }
}

/** The user IDs of a stored `m.ignored_user_list` content (empty when malformed). */
export function ignoredUserIds(content: JsonObject | null): Set<string> {
  const ignored = content?.ignored_users;
  return new Set(isJsonObject(ignored) ? Object.keys(ignored) : []);
}

/** Throws 400 M_INVALID_PARAM for an empty or over-long tag name. https://spec.matrix.org/v1.19/client-server-api/#room-tagging */
export function checkTagName(tag: string): void {
  if (tag === '' || Buffer.byteLength(tag, 'utf8') > MAX_TYPE_BYTES) {
    throw new MatrixError(400, 'M_INVALID_PARAM', `Tag names are 1 to ${MAX_TYPE_BYTES} bytes`);
  }
}

/** Throws 400 M_BAD_JSON unless the tag's `order`, when present, is a number in [0, 1]. */
export function checkTagContent(content: JsonObject): void {
  const order: JsonValue | undefined = content.order;
  if (order === undefined) return;
  if (typeof order !== 'number' || !Number.isFinite(order) || order < 0 || order > 1) {
    throw new MatrixError(400, 'M_BAD_JSON', 'order must be a number between 0 and 1');
  }
}

/** The `tags` map of a stored `m.tag` content (empty when absent or malformed). */
export function tagsOf(content: JsonObject | null): Record<string, JsonObject> {
  const tags = content?.tags;
  const result: Record<string, JsonObject> = {};
  if (!isJsonObject(tags)) return result;
  for (const [name, value] of Object.entries(tags)) if (isJsonObject(value)) result[name] = value;
  return result;
}
