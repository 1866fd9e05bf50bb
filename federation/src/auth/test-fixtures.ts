/**
 * Test fixtures for the auth rules: a small room in any version, events as plain objects with fake hashes
 * and signatures (the rules never check them), and a one-call `auth` helper. Test-only; not exported.
 */
import type { JsonObject } from '../json/canonical.js';
import { computeEventId, computeRoomIdFromCreateEvent } from '../crypto/hash.js';
import { stateKeyString, type Pdu } from '../events/pdu.js';
import { getRoomVersion, type RoomVersion } from '../room-versions/table.js';
import type { AuthInput, AuthResult } from './types.js';
import { authorizeEvent } from './rules.js';

export const ALICE = '@alice:a.example'; // the creator
export const MOD = '@mod:a.example'; // power level 50
export const BOB = '@bob:b.example'; // a plain member on another server
export const CAROL = '@carol:c.example'; // an outsider
export const DAVE = '@dave:a.example'; // an outsider on the creator's server

export const ALL_VERSIONS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'] as const;

/** Fields of an event to build; the rest is filled in. */
export type EventFields = Partial<Pdu> & { type: string; sender: string };

let counter = 0;

/** A fresh fake event ID on `server` (v1/v2-shaped so the redaction rule can read a domain from it). */
export function fakeEventId(server = 'a.example'): string {
  counter += 1;
  return `$e${counter}:${server}`;
}

/** Builds a PDU with fake hashes and signatures (signed by the sender's server). */
export function pdu(fields: EventFields): Pdu {
  const server = fields.sender.slice(fields.sender.indexOf(':') + 1);
  return {
    content: {},
    origin_server_ts: 1_700_000_000_000,
    depth: 5,
    prev_events: [],
    auth_events: [],
    hashes: { sha256: 'fakehash' },
    signatures: { [server]: { 'ed25519:k': 'fakesig' } },
    ...fields,
  };
}

/** A room fixture: its version, create event, and a mutable state map. */
export class Room {
  readonly version: RoomVersion;
  readonly create: Pdu;
  readonly roomId: string;
  readonly createId: string;
  readonly state = new Map<string, Pdu>();

  constructor(versionId: string, createContent: JsonObject = {}, creator = ALICE) {
    this.version = getRoomVersion(versionId);
    const content: JsonObject = { room_version: versionId, ...createContent };
    if (!this.version.implicitRoomCreator && content.creator === undefined) content.creator = creator;
    const create = pdu({ type: 'm.room.create', sender: creator, state_key: '', content, depth: 1 });
    if (this.version.eventsCarryEventId) create.event_id = '$create:a.example';
    if (this.version.roomIdIsCreateEventHash) {
      this.roomId = computeRoomIdFromCreateEvent(create as unknown as JsonObject, this.version);
    } else {
      this.roomId = '!room:a.example';
      create.room_id = this.roomId;
    }
    this.create = create;
    this.createId = computeEventId(create as unknown as JsonObject, this.version);
    this.put(create);
  }

  /** An event in this room. */
  event(fields: EventFields): Pdu {
    return pdu({ room_id: this.roomId, prev_events: [this.prevRef('$prev:a.example')] as Pdu['prev_events'], ...fields });
  }

  /** A `prev_events` entry in this version's format. */
  prevRef(eventId: string): Pdu['prev_events'][number] {
    return this.version.edgesAsPairs ? [eventId, { sha256: 'fake' }] : eventId;
  }

  /** Adds state events (replacing what was at their keys). */
  put(...events: Pdu[]): this {
    for (const event of events) this.state.set(stateKeyString(event.type, event.state_key ?? ''), event);
    return this;
  }

  /** Removes the state at a key. */
  drop(type: string, stateKey = ''): this {
    this.state.delete(stateKeyString(type, stateKey));
    return this;
  }

  /** A member event for `target`, sent by `sender` (default: the target). */
  member(target: string, membership: string, extra: JsonObject = {}, sender = target): Pdu {
    return this.event({ type: 'm.room.member', sender, state_key: target, content: { membership, ...extra } });
  }

  /** Sets memberships in the state, each sent by the user. */
  members(memberships: Record<string, string>): this {
    for (const [user, membership] of Object.entries(memberships)) this.put(this.member(user, membership));
    return this;
  }

  /** Sets the power levels content (sent by the creator). */
  powerLevels(content: JsonObject): this {
    return this.put(this.event({ type: 'm.room.power_levels', sender: ALICE, state_key: '', content }));
  }

  /** Sets the join rule. */
  joinRule(joinRule: string, extra: JsonObject = {}): this {
    return this.put(this.event({ type: 'm.room.join_rules', sender: ALICE, state_key: '', content: { join_rule: joinRule, ...extra } }));
  }

  /** Runs the auth rules for `event` against this room's state. */
  auth(event: Pdu, extra: Partial<AuthInput> = {}): AuthResult {
    return authorizeEvent({ event, eventId: fakeEventId(), roomVersion: this.version, authState: this.state, ...extra });
  }
}

/**
 * The usual room: ALICE created it and is joined, MOD (50) and BOB (0) joined, public join rule. Pre-v12
 * ALICE has 100 in `users`; in v12 creators are not listed (their power is infinite).
 */
export function standardRoom(versionId: string, createContent: JsonObject = {}): Room {
  const room = new Room(versionId, createContent);
  room.members({ [ALICE]: 'join' });
  const users: JsonObject = { [MOD]: 50 };
  if (!room.version.privilegedCreators) users[ALICE] = 100;
  room.powerLevels({ users });
  room.joinRule('public');
  room.members({ [MOD]: 'join', [BOB]: 'join' });
  return room;
}

/** Asserts-friendly view of a result: `'allow'` or the rejecting rule number. */
export function outcome(result: AuthResult): string {
  return result.allowed ? 'allow' : `reject ${result.rule}`;
}
