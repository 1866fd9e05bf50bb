/**
 * Room versions 1-12 as feature flags: the only place the code asks "which version is this?".
 * https://spec.matrix.org/v1.19/rooms/
 */

/** How event IDs are formed. */
export type EventIdFormat =
  /** v1, v2: `$opaque:server`, chosen by the origin server and carried in the event. */
  | 'server-assigned'
  /** v3: `$` + reference hash, standard unpadded base64. */
  | 'reference-hash-base64'
  /** v4+: `$` + reference hash, URL-safe unpadded base64. */
  | 'reference-hash-urlsafe';

/** Which redaction algorithm a room version uses (named after the version that introduced it). */
export type RedactionAlgorithm = 'v1' | 'v6' | 'v8' | 'v9' | 'v11';

/** Which state resolution algorithm a room version uses. */
export type StateResolutionAlgorithm = 'v1' | 'v2' | 'v2.1';

export interface RoomVersion {
  readonly id: string;
  readonly stability: 'stable' | 'unstable';
  readonly eventIdFormat: EventIdFormat;
  readonly redaction: RedactionAlgorithm;
  readonly stateResolution: StateResolutionAlgorithm;
  /** v5+: reject events signed with an expired signing key (valid_until_ts). */
  readonly enforceKeyValidity: boolean;
  /** v6+: canonical JSON integer range enforced; floats and out-of-range integers rejected. */
  readonly strictCanonicalJson: boolean;
  /** v1-v5: `m.room.aliases` has its own auth rule (state_key must be the sender's domain). v6+: no special rule. */
  readonly specialCaseAliasesAuth: boolean;
  /** v6+: `notifications` in power levels is checked by the auth rules. */
  readonly limitNotificationsPowerLevels: boolean;
  /** v1-v2: events carry `event_id`; v3+ they do not (it is derived). */
  readonly eventsCarryEventId: boolean;
  /** v1-v2: prev_events/auth_events are `[eventId, {hashes}]` pairs; v3+ plain event ID strings. */
  readonly edgesAsPairs: boolean;
  /** v7+: `knock` membership and join rule. */
  readonly knockingSupported: boolean;
  /** v8+: `restricted` join rule with `join_authorised_via_users_server`. */
  readonly restrictedJoinsSupported: boolean;
  /** v10+: `knock_restricted` join rule. */
  readonly knockRestrictedSupported: boolean;
  /** v10+: power level values must be integers (no numeric strings). */
  readonly integerOnlyPowerLevels: boolean;
  /** v11+: the create event has no `creator`; the creator is the `sender`. */
  readonly implicitRoomCreator: boolean;
  /** v11+: `redacts` lives in `content` of m.room.redaction, not at the top level. */
  readonly redactsInContent: boolean;
  /** v3+: redactions are authorised only when checked against the original event (v3 "handling redactions"). */
  readonly deferredRedactionCheck: boolean;
  /** v12: the room ID is `!` + the create event's reference hash, and the create event has no `room_id`. */
  readonly roomIdIsCreateEventHash: boolean;
  /** v12: room creators (create sender + `additional_creators`) have infinite power level. */
  readonly privilegedCreators: boolean;
  /** v1-v10: the `origin` top-level key is part of the event's redacted form. */
  readonly keepsOriginOnRedaction: boolean;
}

const base = {
  stability: 'stable',
  eventIdFormat: 'reference-hash-urlsafe',
  redaction: 'v1',
  stateResolution: 'v2',
  enforceKeyValidity: false,
  strictCanonicalJson: false,
  specialCaseAliasesAuth: true,
  limitNotificationsPowerLevels: false,
  eventsCarryEventId: false,
  edgesAsPairs: false,
  knockingSupported: false,
  restrictedJoinsSupported: false,
  knockRestrictedSupported: false,
  integerOnlyPowerLevels: false,
  implicitRoomCreator: false,
  redactsInContent: false,
  deferredRedactionCheck: true,
  roomIdIsCreateEventHash: false,
  privilegedCreators: false,
  keepsOriginOnRedaction: true,
} as const satisfies Omit<RoomVersion, 'id'>;

const v1: RoomVersion = {
  ...base,
  id: '1',
  eventIdFormat: 'server-assigned',
  stateResolution: 'v1',
  eventsCarryEventId: true,
  edgesAsPairs: true,
  deferredRedactionCheck: false,
};
const v2: RoomVersion = { ...v1, id: '2', stateResolution: 'v2' };
const v3: RoomVersion = {
  ...v2,
  id: '3',
  eventIdFormat: 'reference-hash-base64',
  eventsCarryEventId: false,
  edgesAsPairs: false,
  deferredRedactionCheck: true,
};
const v4: RoomVersion = { ...v3, id: '4', eventIdFormat: 'reference-hash-urlsafe' };
const v5: RoomVersion = { ...v4, id: '5', enforceKeyValidity: true };
const v6: RoomVersion = {
  ...v5,
  id: '6',
  redaction: 'v6',
  strictCanonicalJson: true,
  specialCaseAliasesAuth: false,
  limitNotificationsPowerLevels: true,
};
const v7: RoomVersion = { ...v6, id: '7', knockingSupported: true };
// v8 keeps `allow` of m.room.join_rules when redacting (https://spec.matrix.org/v1.19/rooms/v8/#redactions).
const v8: RoomVersion = { ...v7, id: '8', redaction: 'v8', restrictedJoinsSupported: true };
const v9: RoomVersion = { ...v8, id: '9', redaction: 'v9' };
const v10: RoomVersion = { ...v9, id: '10', knockRestrictedSupported: true, integerOnlyPowerLevels: true };
const v11: RoomVersion = {
  ...v10,
  id: '11',
  redaction: 'v11',
  implicitRoomCreator: true,
  redactsInContent: true,
  keepsOriginOnRedaction: false,
};
const v12: RoomVersion = {
  ...v11,
  id: '12',
  stateResolution: 'v2.1',
  roomIdIsCreateEventHash: true,
  privilegedCreators: true,
};

/** Every room version this server knows, by identifier. */
export const ROOM_VERSIONS: ReadonlyMap<string, RoomVersion> = new Map(
  [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12].map((version) => [version.id, version]),
);

/** The version new rooms are created in (spec v1.19: 12). */
export const DEFAULT_ROOM_VERSION = '12';

/** Looks a room version up; `undefined` for an unknown version. */
export function findRoomVersion(id: string): RoomVersion | undefined {
  return ROOM_VERSIONS.get(id);
}

/** Looks a room version up; throws for an unknown version (use where the version was already validated). */
export function getRoomVersion(id: string): RoomVersion {
  const version = ROOM_VERSIONS.get(id);
  if (!version) throw new Error(`unknown room version ${JSON.stringify(id)}`);
  return version;
}

/** The `m.room_versions` capability body for /capabilities. */
export function roomVersionsCapability(): { default: string; available: Record<string, 'stable' | 'unstable'> } {
  const available: Record<string, 'stable' | 'unstable'> = {};
  for (const version of ROOM_VERSIONS.values()) available[version.id] = version.stability;
  return { default: DEFAULT_ROOM_VERSION, available };
}
