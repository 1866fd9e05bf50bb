/**
 * State resolution v1 (room version 1 only).
 * https://spec.matrix.org/v1.19/rooms/v1/#state-resolution
 */
import { createHash } from 'node:crypto';
import { stateKeyString, type Pdu } from '../events/pdu.js';
import type { RoomVersion } from '../room-versions/table.js';
import { authStateKeysFor } from './iterative-auth.js';
import type { Authorize, StateMap, StateResEvent, StateResStore } from './types.js';

/** Input to {@link resolveStateV1}. */
export interface ResolveV1Input {
  roomVersion: RoomVersion;
  stateSets: readonly StateMap[];
  store: StateResStore;
  authorize: Authorize;
}

/** The auth-relevant types resolved first, in this order, each by "apply in order until one fails". */
const AUTH_TYPES = ['m.room.power_levels', 'm.room.join_rules', 'm.room.member'] as const;

interface Candidate {
  eventId: string;
  pdu: Pdu;
  sha1: string;
}

function sha1Hex(eventId: string): string {
  return createHash('sha1').update(eventId, 'utf8').digest('hex');
}

/** Ascending depth, then descending sha1(event_id). */
function authOrder(a: Candidate, b: Candidate): number {
  if (a.pdu.depth !== b.pdu.depth) return a.pdu.depth - b.pdu.depth;
  return a.sha1 < b.sha1 ? 1 : a.sha1 > b.sha1 ? -1 : 0;
}

/** Descending depth, then ascending sha1(event_id). */
function normalOrder(a: Candidate, b: Candidate): number {
  if (a.pdu.depth !== b.pdu.depth) return b.pdu.depth - a.pdu.depth;
  return a.sha1 < b.sha1 ? -1 : a.sha1 > b.sha1 ? 1 : 0;
}

/**
 * Resolves `stateSets` with the room version 1 algorithm: a key is conflicting only when two sets hold
 * different events for it (a key missing from some sets is not a conflict). Conflicting power levels, then
 * join rules, then each member key are applied from the shallowest event until one fails auth against the
 * result so far; every other conflicting key takes its deepest event that passes auth.
 */
export async function resolveStateV1(input: ResolveV1Input): Promise<Map<string, string>> {
  const { roomVersion: version, stateSets, store } = input;
  const resolved = new Map<string, string>();
  const conflicts = new Map<string, Set<string>>();
  for (const set of stateSets) {
    for (const [key, eventId] of set) {
      const existing = conflicts.get(key);
      if (existing) existing.add(eventId);
      else if (!resolved.has(key)) resolved.set(key, eventId);
      else if (resolved.get(key) !== eventId) {
        conflicts.set(key, new Set([resolved.get(key) as string, eventId]));
        resolved.delete(key);
      }
    }
  }
  if (conflicts.size === 0) return resolved;

  const events = new Map<string, StateResEvent>(await store.getEvents([...new Set(stateSets.flatMap((set) => [...set.values()]))]));
  const candidates = (key: string): Candidate[] =>
    [...(conflicts.get(key) ?? [])].flatMap((eventId) => {
      const event = events.get(eventId);
      return event ? [{ eventId, pdu: event.pdu, sha1: sha1Hex(eventId) }] : [];
    });
  const allowedIn = (candidate: Candidate): boolean => {
    const authState = new Map<string, Pdu>();
    for (const key of authStateKeysFor(candidate.pdu, version)) {
      const event = events.get(resolved.get(key) ?? '');
      if (event) authState.set(key, event.pdu);
    }
    return input.authorize({ event: candidate.pdu, eventId: candidate.eventId, roomVersion: version, authState }).allowed;
  };

  const sortedKeys = [...conflicts.keys()].sort();
  for (const type of AUTH_TYPES) {
    for (const key of sortedKeys.filter((k) => k.startsWith(stateKeyString(type, '')))) {
      const [first, ...rest] = candidates(key).sort(authOrder);
      if (!first) continue;
      resolved.set(key, first.eventId);
      for (const candidate of rest) {
        if (!allowedIn(candidate)) break;
        resolved.set(key, candidate.eventId);
      }
    }
  }
  const isAuthKey = (key: string) => AUTH_TYPES.some((type) => key.startsWith(stateKeyString(type, '')));
  for (const key of sortedKeys.filter((k) => !isAuthKey(k))) {
    const ordered = candidates(key).sort(normalOrder);
    const chosen = ordered.find(allowedIn) ?? ordered[ordered.length - 1];
    // NOTSPEC: the spec does not say what happens when no event passes; like Synapse, keep the shallowest.
    if (chosen) resolved.set(key, chosen.eventId);
  }
  return resolved;
}
