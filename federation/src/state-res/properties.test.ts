/**
 * Property tests of state resolution over small random rooms: a shared opening, then random state events
 * on two or three concurrent branches (some unauthorised, many power events), resolved across branches.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../json/canonical.js';
import { getRoomVersion, type RoomVersion } from '../room-versions/table.js';
import { IndexedMemoryStateResStore, RoomFixture, type Branch } from './fixtures.js';
import { resolveState } from './resolve.js';

const USERS = ['@admin:example.org', '@mod:example.org', '@u1:example.org', '@u2:example.org', '@u3:example.org'];
const NUM_RUNS = 1000;

type Op =
  | { kind: 'topic' | 'name' | 'join' | 'leave'; branch: number; actor: number; ts: number }
  | { kind: 'kick' | 'ban' | 'invite'; branch: number; actor: number; target: number; ts: number }
  | { kind: 'levels'; branch: number; actor: number; target: number; level: number; ts: number }
  | { kind: 'joinRule'; branch: number; actor: number; rule: 'public' | 'invite'; ts: number };

const common = { branch: fc.nat(2), actor: fc.nat(USERS.length - 1), ts: fc.integer({ min: 5_000, max: 5_008 }) };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('topic' as const, 'name' as const, 'join' as const, 'leave' as const), ...common }),
  fc.record({ kind: fc.constantFrom('kick' as const, 'ban' as const, 'invite' as const), target: fc.nat(USERS.length - 1), ...common }),
  fc.record({ kind: fc.constant('levels' as const), target: fc.nat(USERS.length - 1), level: fc.constantFrom(0, 50, 100), ...common }),
  fc.record({ kind: fc.constant('joinRule' as const), rule: fc.constantFrom('public' as const, 'invite' as const), ...common }),
);

/** Builds the room and returns the state of each branch (2 or 3 branches). */
function buildRoom(version: RoomVersion, branchCount: number, ops: readonly Op[]): { room: RoomFixture; branches: Branch[] } {
  const room = new RoomFixture(version, USERS[0] as string);
  const base = room.open({ [USERS[1] as string]: 50 });
  for (const user of USERS.slice(1, 4)) room.member(base, user, 'join');
  const branches = Array.from({ length: branchCount }, () => new Map(base));
  const levelsContent = new Map<Branch, JsonObject>(branches.map((b) => [b, { [USERS[1] as string]: 50 }]));
  for (const op of ops) {
    const branch = branches[op.branch % branchCount] as Branch;
    const actor = USERS[op.actor] as string;
    const send = (type: string, content: JsonObject, stateKey = '') => room.send(branch, { sender: actor, type, stateKey, content, ts: op.ts });
    switch (op.kind) {
      case 'topic':
      case 'name':
        send(`m.room.${op.kind}`, { [op.kind]: `${op.kind}${op.ts}` });
        break;
      case 'join':
      case 'leave':
        send('m.room.member', { membership: op.kind }, actor);
        break;
      case 'kick':
      case 'ban':
      case 'invite':
        send('m.room.member', { membership: op.kind === 'kick' ? 'leave' : op.kind }, USERS[op.target] as string);
        break;
      case 'levels': {
        const users = { ...levelsContent.get(branch), [USERS[op.target] as string]: op.level };
        levelsContent.set(branch, users);
        const withAdmin = version.privilegedCreators ? users : { ...users, [USERS[0] as string]: 100 };
        send('m.room.power_levels', { users: withAdmin });
        break;
      }
      case 'joinRule':
        send('m.room.join_rules', { join_rule: op.rule });
        break;
    }
  }
  return { room, branches };
}

/** The same state with entries inserted in a shuffled order. */
function reinserted(state: Branch, seed: number): Branch {
  const entries = [...state];
  let s = seed >>> 0 || 1;
  for (let i = entries.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [entries[i], entries[j]] = [entries[j] as [string, string], entries[i] as [string, string]];
  }
  return new Map(entries);
}

const roomArb = fc.record({ branchCount: fc.constantFrom(2, 3), ops: fc.array(opArb, { minLength: 1, maxLength: 10 }) });

describe.each([
  ['v1 (room v1)', getRoomVersion('1')],
  ['v2 (room v11)', getRoomVersion('11')],
  ['v2.1 (room v12)', getRoomVersion('12')],
])('state resolution %s properties', (_name, version) => {
  const resolve = (room: RoomFixture, stateSets: Branch[]) => resolveState({ roomVersion: version, stateSets, store: room.store });

  it('does not depend on the order of the state sets or of their entries', async () => {
    await fc.assert(
      fc.asyncProperty(roomArb, fc.integer(), async ({ branchCount, ops }, seed) => {
        const { room, branches } = buildRoom(version, branchCount, ops);
        const expected = await resolve(room, branches);
        const reordered = [...branches].reverse().map((state, i) => reinserted(state, seed + i));
        const rotated = [...branches.slice(1), branches[0] as Branch];
        expect(await resolve(room, reordered)).toEqual(expected);
        expect(await resolve(room, rotated)).toEqual(expected);
        // A store with an auth-chain index loads less but must agree.
        const indexed = IndexedMemoryStateResStore.from(room.store);
        expect(await resolveState({ roomVersion: version, stateSets: branches, store: indexed })).toEqual(expected);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('returns a single state set unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(roomArb, async ({ branchCount, ops }) => {
        const { room, branches } = buildRoom(version, branchCount, ops);
        for (const state of branches) expect(await resolve(room, [state])).toEqual(state);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('keeps every unconflicted entry and is unchanged by a repeated state set', async () => {
    await fc.assert(
      fc.asyncProperty(roomArb, async ({ branchCount, ops }) => {
        const { room, branches } = buildRoom(version, branchCount, ops);
        const resolved = await resolve(room, branches);
        const [first, ...rest] = branches as [Branch, ...Branch[]];
        for (const [key, eventId] of first) {
          if (rest.every((state) => state.get(key) === eventId)) expect(resolved.get(key)).toBe(eventId);
        }
        expect(await resolve(room, [...branches, first])).toEqual(resolved);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('is idempotent: resolving the result with itself returns it', async () => {
    await fc.assert(
      fc.asyncProperty(roomArb, async ({ branchCount, ops }) => {
        const { room, branches } = buildRoom(version, branchCount, ops);
        const resolved = await resolve(room, branches);
        expect(await resolve(room, [resolved, new Map(resolved)])).toEqual(resolved);
        // Every resolved entry is keyed by its own event's type and state key.
        for (const [key, eventId] of resolved) {
          const pdu = room.pdu(eventId);
          expect(key).toBe(`${pdu.type}\u0000${pdu.state_key}`);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
