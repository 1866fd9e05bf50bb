/**
 * Redaction authorisation, in the one pipeline, for every source and room version.
 *
 * v1-v2: the auth rules check the redact level (or the same server, by event ID). v3+: the auth rules no longer
 * do; the check happens when the redaction is handled: it applies only when its sender has the `redact` power level
 * or the target comes from the same server. Never across rooms.
 * https://spec.matrix.org/v1.19/rooms/v11/#handling-redactions
 * https://spec.matrix.org/v1.19/client-server-api/#redactions
 *
 * - Local redactions ({@link requireLocalRedaction}, while building): the target must be an event of the room, and
 *   the sender either its sender or at the `redact` level; else 404 M_NOT_FOUND (unknown), 400 M_INVALID_PARAM
 *   (another room's) or 403 M_FORBIDDEN, from any route.
 * - Every accepted redaction ({@link applyRedaction}, while writing): marks its target redacted only when allowed at
 *   the state before the redaction. A remote one that is not allowed is stored and served, and redacts nothing.
 */
import { readPowerLevels, roomCreators, stateKeyString, userIdServerName, userPowerLevel, type Pdu, type RoomVersion } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { Storage, StoredEvent } from '../../storage/index.js';
import type { RoomsContext } from './context.js';
import type { StateMap } from './state.js';

/** The event a redaction redacts: `content.redacts` from v11, top-level `redacts` before. */
export function redactionTarget(pdu: Pdu, roomVersion: RoomVersion): string | undefined {
  const target = roomVersion.redactsInContent ? pdu.content.redacts : pdu.redacts;
  return typeof target === 'string' ? target : undefined;
}

/** Whether `sender` has the room's `redact` power level, given the create and power levels events in force. */
export function hasRedactPower(sender: string, roomVersion: RoomVersion, create: Pdu | undefined, powerLevels: Pdu | undefined): boolean {
  const levels = readPowerLevels(powerLevels?.content, roomVersion);
  const creators = create ? roomCreators(create, roomVersion) : [];
  return userPowerLevel(sender, levels, creators, roomVersion) >= levels.redact;
}

/** The events a redaction's authorisation reads, from a map `stateKeyString(type, key) → PDU`. */
export interface PowerState {
  create: Pdu | undefined;
  powerLevels: Pdu | undefined;
}

export function powerStateOf(authState: ReadonlyMap<string, Pdu>): PowerState {
  return { create: authState.get(stateKeyString('m.room.create', '')), powerLevels: authState.get(stateKeyString('m.room.power_levels', '')) };
}

/**
 * A local user's redaction, checked before it is written (all room versions): it must name an event of this room,
 * and the user must have sent it or hold the `redact` level.
 */
export async function requireLocalRedaction(
  storage: Storage,
  roomVersion: RoomVersion,
  redaction: { pdu: Pdu; roomId: string },
  power: PowerState,
  options: { senderSuspended?: boolean } = {},
): Promise<void> {
  const targetId = redactionTarget(redaction.pdu, roomVersion);
  if (targetId === undefined) throw new MatrixError(400, 'M_BAD_JSON', 'A redaction must name the event it redacts');
  const [target] = await storage.events.getEvents([targetId]);
  // NOTSPEC: a local redaction of an event we do not hold is refused (404) rather than stored waiting; nothing
  // could ever apply it. One of an event of another room is 400 M_INVALID_PARAM, as Synapse answers (400).
  if (target === undefined) throw new MatrixError(404, 'M_NOT_FOUND', `Event ${targetId} not found in ${redaction.roomId}`);
  if (target.roomId !== redaction.roomId) throw new MatrixError(400, 'M_INVALID_PARAM', `Event ${targetId} is not in ${redaction.roomId}`);
  // NOTSPEC: in every room version the same *user*, not the same server: v1-v2 auth and v3+ handling would let
  // any local member redact their neighbours' events.
  if (target.sender === redaction.pdu.sender) return;
  // A suspended user may redact their own events only (spec: "Redacting other users' events" is refused).
  if (options.senderSuspended === true) throw new MatrixError(403, 'M_USER_SUSPENDED', 'You cannot redact other users\' events while suspended');
  if (!hasRedactPower(redaction.pdu.sender, roomVersion, power.create, power.powerLevels)) {
    throw new MatrixError(403, 'M_FORBIDDEN', 'You may not redact events of other users in this room');
  }
}

/**
 * Whether an accepted redaction applies to `target`: the same room, and from v3 the sender at the `redact` level
 * (at the state before the redaction) or the same server as the target's sender. v1-v2 auth rules decided already.
 */
export async function redactionApplies(
  storage: Storage,
  roomVersion: RoomVersion,
  redaction: StoredEvent,
  target: StoredEvent,
  stateBefore: StateMap,
): Promise<boolean> {
  if (target.roomId !== redaction.roomId) return false;
  if (!roomVersion.deferredRedactionCheck) return true;
  const senderServer = userIdServerName(redaction.sender);
  if (senderServer !== undefined && senderServer === userIdServerName(target.sender)) return true;
  const ids = ['m.room.create', 'm.room.power_levels'].flatMap((type) => stateBefore.get(stateKeyString(type, '')) ?? []);
  const events = await storage.events.getEvents(ids);
  const pduOf = (type: string) => events.find((event) => event.type === type)?.pdu;
  return hasRedactPower(redaction.sender, roomVersion, pduOf('m.room.create'), pduOf('m.room.power_levels'));
}

/**
 * Applies an accepted redaction in the write transaction: the target is marked redacted when
 * {@link redactionApplies}; the original is kept for the retention window.
 *
 * NOTSPEC: a redaction whose target we do not hold yet is stored and never applied later (we keep no index of
 * waiting redactions); the spec lets servers choose how to handle redactions of events they have not seen.
 */
export async function applyRedaction(
  ctx: RoomsContext,
  tx: Storage,
  roomVersion: RoomVersion,
  redaction: StoredEvent,
  stateBefore: StateMap,
): Promise<void> {
  const targetId = redactionTarget(redaction.pdu, roomVersion);
  if (targetId === undefined) return;
  const [target] = await tx.events.getEvents([targetId]);
  if (target === undefined || target.redactedBy !== null) return;
  if (!(await redactionApplies(tx, roomVersion, redaction, target, stateBefore))) {
    ctx.deps.logger.info({ redactionId: redaction.eventId, targetId, roomId: redaction.roomId }, 'redaction not authorised; not applied');
    return;
  }
  await tx.events.markRedacted(targetId, redaction.eventId);
  // A redacted child breaks its relationship: it leaves /relations and every aggregation.
  await tx.roomState.removeRelation(targetId);
  await tx.roomState.retainRedacted(targetId, redaction.eventId, ctx.deps.clock.now() + ctx.redactionRetentionMs);
}

/**
 * `events` without the redactions that redacted nothing (not authorised, or their target is not held): the spec
 * sends a redaction to clients only when the server applies it, and clients apply the redactions they see.
 * https://spec.matrix.org/v1.19/rooms/v11/#handling-redactions
 */
export async function withoutUnappliedRedactions(storage: Storage, events: readonly StoredEvent[]): Promise<StoredEvent[]> {
  const redactions = events.filter((event) => event.type === 'm.room.redaction');
  if (redactions.length === 0) return [...events];
  // NOTSPEC: a second redaction of an already redacted event is hidden too (it changed nothing).
  // Either place may hold the target (v11 content, earlier top level): the one it redacted names it in redactedBy.
  const candidates = redactions.flatMap((event) => [event.pdu.content.redacts, event.pdu.redacts].filter((id): id is string => typeof id === 'string'));
  const applied = new Set((await storage.events.getEvents([...new Set(candidates)])).flatMap((target) => target.redactedBy ?? []));
  return events.filter((event) => event.type !== 'm.room.redaction' || applied.has(event.eventId));
}
