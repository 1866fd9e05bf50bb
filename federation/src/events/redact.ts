/**
 * The redaction algorithm of each room version.
 * https://spec.matrix.org/v1.19/rooms/v11/#redactions (and v1, v6, v8, v9 for the older variants)
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json/canonical.js';
import type { RedactionAlgorithm, RoomVersion } from '../room-versions/table.js';

const TOP_LEVEL_KEYS_V1: readonly string[] = [
  'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures', 'depth',
  'prev_events', 'prev_state', 'auth_events', 'origin', 'origin_server_ts', 'membership',
];
const TOP_LEVEL_KEYS_V11: readonly string[] = [
  'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures', 'depth',
  'prev_events', 'auth_events', 'origin_server_ts',
];
const POWER_LEVEL_KEYS_V1 = ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default'];
const POWER_LEVEL_KEYS_V11 = [...POWER_LEVEL_KEYS_V1, 'invite'];

/** Content keys kept per event type, per algorithm. `'*'` keeps all of `content`. */
const CONTENT_KEYS: Record<RedactionAlgorithm, Record<string, readonly string[] | '*'>> = {
  v1: {
    'm.room.member': ['membership'],
    'm.room.create': ['creator'],
    'm.room.join_rules': ['join_rule'],
    'm.room.power_levels': POWER_LEVEL_KEYS_V1,
    'm.room.aliases': ['aliases'],
    'm.room.history_visibility': ['history_visibility'],
  },
  v6: {
    'm.room.member': ['membership'],
    'm.room.create': ['creator'],
    'm.room.join_rules': ['join_rule'],
    'm.room.power_levels': POWER_LEVEL_KEYS_V1,
    'm.room.history_visibility': ['history_visibility'],
  },
  v8: {
    'm.room.member': ['membership'],
    'm.room.create': ['creator'],
    'm.room.join_rules': ['join_rule', 'allow'],
    'm.room.power_levels': POWER_LEVEL_KEYS_V1,
    'm.room.history_visibility': ['history_visibility'],
  },
  v9: {
    'm.room.member': ['membership', 'join_authorised_via_users_server'],
    'm.room.create': ['creator'],
    'm.room.join_rules': ['join_rule', 'allow'],
    'm.room.power_levels': POWER_LEVEL_KEYS_V1,
    'm.room.history_visibility': ['history_visibility'],
  },
  v11: {
    'm.room.member': ['membership', 'join_authorised_via_users_server'],
    'm.room.create': '*',
    'm.room.join_rules': ['join_rule', 'allow'],
    'm.room.power_levels': POWER_LEVEL_KEYS_V11,
    'm.room.history_visibility': ['history_visibility'],
    'm.room.redaction': ['redacts'],
  },
};

function pick(object: JsonObject, keys: readonly string[]): JsonObject {
  const kept: JsonObject = {};
  for (const key of keys) {
    const value = object[key];
    if (value !== undefined) kept[key] = value;
  }
  return kept;
}

function redactContent(type: JsonValue | undefined, content: JsonObject, algorithm: RedactionAlgorithm): JsonObject {
  const allowed = typeof type === 'string' ? CONTENT_KEYS[algorithm][type] : undefined;
  if (allowed === undefined) return {};
  if (allowed === '*') return structuredClone(content);
  const kept = structuredClone(pick(content, allowed));
  // v11: of `third_party_invite`, member events keep only `signed`.
  if (algorithm === 'v11' && type === 'm.room.member') {
    const invite = content.third_party_invite;
    if (isJsonObject(invite) && invite.signed !== undefined) {
      kept.third_party_invite = { signed: structuredClone(invite.signed) };
    }
  }
  return kept;
}

/**
 * Returns the redacted form of `event` under `version`'s algorithm. Works on any JSON object so it can be
 * applied to events that failed validation (it is used to compute reference hashes of what was received).
 */
export function redactEvent<T extends JsonObject>(event: T, version: Pick<RoomVersion, 'redaction'>): JsonObject {
  const algorithm = version.redaction;
  const redacted = pick(event, algorithm === 'v11' ? TOP_LEVEL_KEYS_V11 : TOP_LEVEL_KEYS_V1);
  const content = isJsonObject(event.content) ? event.content : {};
  redacted.content = redactContent(event.type, content, algorithm);
  return structuredClone(redacted);
}
