/**
 * Test and bench fixtures for state resolution: an in-memory store and a room builder that cites auth
 * events by the auth events selection, so built events pass the auth rules when their senders may act.
 * Not used in production paths.
 */
import type { JsonObject } from '../json/canonical.js';
import { referencedEventIds, stateKeyString, type EventReferencePair, type Pdu } from '../events/pdu.js';
import { addContentHash, computeEventId, computeRoomIdFromCreateEvent } from '../crypto/hash.js';
import type { RoomVersion } from '../room-versions/table.js';
import { authEventTypesFor } from '../auth/auth-events.js';
import type { StateResEvent, StateResStore } from './types.js';

/** A {@link StateResStore} over a Map, counting calls and fetched events for tests and benches. */
export class MemoryStateResStore implements StateResStore {
  readonly events = new Map<string, StateResEvent>();
  calls = 0;
  fetched = 0;

  add(event: StateResEvent): void {
    this.events.set(event.eventId, event);
  }

  async getEvents(ids: readonly string[]): Promise<ReadonlyMap<string, StateResEvent>> {
    this.calls++;
    const found = new Map<string, StateResEvent>();
    for (const id of ids) {
      const event = this.events.get(id);
      if (event) found.set(id, event);
    }
    this.fetched += found.size;
    return found;
  }
}

/**
 * A {@link MemoryStateResStore} that also answers auth-chain queries from its own map, as a database
 * with an auth-chain index would (these reads are not counted in `fetched`).
 */
export class IndexedMemoryStateResStore extends MemoryStateResStore {
  chainQueries = 0;

  async getAuthChainUnion(ids: readonly string[]): Promise<Iterable<string>> {
    this.chainQueries++;
    const chain = new Set<string>();
    const stack = ids.flatMap((id) => this.authIdsOf(id));
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (chain.has(id) || !this.events.has(id)) continue;
      chain.add(id);
      stack.push(...this.authIdsOf(id));
    }
    return chain;
  }

  /** Copies every event of `other` into this store. */
  static from(other: MemoryStateResStore): IndexedMemoryStateResStore {
    const store = new IndexedMemoryStateResStore();
    for (const event of other.events.values()) store.add(event);
    return store;
  }

  private authIdsOf(id: string): string[] {
    const edges = this.events.get(id)?.pdu.auth_events ?? [];
    return referencedEventIds(edges);
  }
}

/** What to send: a state event unless `stateKey` is omitted. `ts` defaults to a running clock. */
export interface EventSpec {
  sender: string;
  type: string;
  stateKey?: string;
  content: JsonObject;
  ts?: number;
}

/** A mutable room state (key → event ID): one branch of the room's DAG. */
export type Branch = Map<string, string>;

/**
 * Builds a room in any version. `send` cites the auth events the selection algorithm picks from the given
 * branch's state and then applies the event to that branch; fork a branch with `new Map(branch)`.
 */
export class RoomFixture {
  readonly store = new MemoryStateResStore();
  readonly roomId: string;
  readonly createEventId: string;
  /** The state after the create event, ready to be copied into branches. */
  readonly initial: Branch = new Map();
  private clock = 1_000;
  private depth = 0;
  private counter = 0;

  constructor(
    readonly version: RoomVersion,
    readonly creator: string,
    createContent: JsonObject = {},
  ) {
    const content: JsonObject = { room_version: version.id, ...createContent };
    if (!version.implicitRoomCreator) content.creator = creator;
    const create: Pdu = this.skeleton({ sender: creator, type: 'm.room.create', stateKey: '', content });
    if (version.roomIdIsCreateEventHash) {
      const { room_id: _omit, ...withoutRoomId } = create;
      const hashed = addContentHash(withoutRoomId as JsonObject, version) as Pdu;
      this.roomId = computeRoomIdFromCreateEvent(asJson(hashed), version);
      // The create event's ID and the room ID are the same reference hash with different sigils.
      this.createEventId = computeEventId(asJson(hashed), version);
      this.store.add({ eventId: this.createEventId, pdu: hashed });
    } else {
      this.roomId = '!room:example.org';
      this.createEventId = this.finish({ ...create, room_id: this.roomId });
    }
    this.initial.set(stateKeyString('m.room.create', ''), this.createEventId);
  }

  /** Sends an event on `branch` (citing auth events from it) and returns its event ID. */
  send(branch: Branch, spec: EventSpec): string {
    const pdu = this.skeleton(spec);
    const authIds = new Set<string>();
    for (const [type, stateKey] of authEventTypesFor(pdu, this.version)) {
      const id = branch.get(stateKeyString(type, stateKey));
      if (id !== undefined) authIds.add(id);
    }
    // A member event cites its target's previous membership, so sort for a stable event ID.
    pdu.auth_events = this.edges([...authIds].sort());
    const eventId = this.finish(pdu);
    if (spec.stateKey !== undefined) branch.set(stateKeyString(spec.type, spec.stateKey), eventId);
    return eventId;
  }

  /** Shorthand for `m.room.member` with `membership` (the target defaults to the sender). */
  member(branch: Branch, sender: string, membership: string, target = sender, ts?: number): string {
    return this.send(branch, { sender, type: 'm.room.member', stateKey: target, content: { membership }, ts });
  }

  /** The standard opening: creator joins, power levels (creator 100 plus `users`), public join rules. */
  open(users: Record<string, number> = {}): Branch {
    const branch = new Map(this.initial);
    this.member(branch, this.creator, 'join');
    const levels: JsonObject = { users: { ...users } };
    if (!this.version.privilegedCreators) (levels.users as JsonObject)[this.creator] = 100;
    this.send(branch, { sender: this.creator, type: 'm.room.power_levels', stateKey: '', content: levels });
    this.send(branch, { sender: this.creator, type: 'm.room.join_rules', stateKey: '', content: { join_rule: 'public' } });
    return branch;
  }

  /** The PDU of an event built by this fixture. */
  pdu(eventId: string): Pdu {
    const event = this.store.events.get(eventId);
    if (!event) throw new Error(`no event ${eventId}`);
    return event.pdu;
  }

  private skeleton(spec: EventSpec): Pdu {
    this.clock = spec.ts ?? this.clock + 1;
    const pdu: Pdu = {
      room_id: this.roomId,
      sender: spec.sender,
      type: spec.type,
      content: spec.content,
      origin_server_ts: this.clock,
      depth: ++this.depth,
      prev_events: [],
      auth_events: [],
      hashes: { sha256: '' },
      signatures: {},
    };
    if (spec.stateKey !== undefined) pdu.state_key = spec.stateKey;
    return pdu;
  }

  private edges(ids: string[]): Pdu['auth_events'] {
    if (!this.version.edgesAsPairs) return ids;
    return ids.map((id): EventReferencePair => [id, { sha256: '' }]);
  }

  private finish(pdu: Pdu): string {
    if (this.version.eventsCarryEventId) pdu.event_id = `$e${++this.counter}:example.org`;
    const hashed = addContentHash(pdu as JsonObject, this.version) as Pdu;
    const eventId = computeEventId(asJson(hashed), this.version);
    this.store.add({ eventId, pdu: hashed });
    return eventId;
  }
}

/** A built PDU as JSON: its optional fields are either set or absent, never `undefined`. */
function asJson(pdu: Pdu): JsonObject {
  return pdu as unknown as JsonObject;
}

/** Input to {@link buildLargeRoom}. */
export interface LargeRoomOptions {
  version: RoomVersion;
  /** Joined members besides the creator (each a state event). */
  members: number;
  /** Concurrent state events, split over two branches; a few are power events. */
  conflicts: number;
}

/**
 * A big room for benches: `members` joins, then two branches that each send `conflicts / 2` events
 * (topics, names, profile changes, a power levels change and kicks), returning both branch states.
 */
export function buildLargeRoom(options: LargeRoomOptions): { room: RoomFixture; stateSets: Branch[] } {
  const admin = '@admin:example.org';
  const room = new RoomFixture(options.version, admin);
  const base = room.open({ '@mod:example.org': 50 });
  room.member(base, '@mod:example.org', 'join');
  const user = (i: number) => `@user${i}:example.org`;
  for (let i = 0; i < options.members; i++) room.member(base, user(i), 'join');
  const branches = [new Map(base), new Map(base)];
  const perBranch = Math.floor(options.conflicts / 2);
  branches.forEach((branch, b) => {
    const sender = b === 0 ? admin : '@mod:example.org';
    for (let i = 0; i < perBranch; i++) {
      const target = user((i * 7 + b) % Math.max(1, options.members));
      if (i === 0 && b === 0) {
        const levels: JsonObject = { users: { '@mod:example.org': 40 } };
        if (!options.version.privilegedCreators) (levels.users as JsonObject)[admin] = 100;
        room.send(branch, { sender, type: 'm.room.power_levels', stateKey: '', content: levels });
      } else if (i % 10 === 1) room.member(branch, sender, 'leave', target);
      else if (i % 3 === 0) room.send(branch, { sender, type: 'm.room.topic', stateKey: '', content: { topic: `t${b}.${i}` } });
      else room.send(branch, { sender: target, type: 'm.room.member', stateKey: target, content: { membership: 'join', displayname: `u${b}.${i}` } });
    }
  });
  return { room, stateSets: branches };
}
