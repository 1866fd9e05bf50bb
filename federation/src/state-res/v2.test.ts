import { describe, expect, it } from 'vitest';
import { stateKeyString } from '../events/pdu.js';
import { getRoomVersion } from '../room-versions/table.js';
import { buildLargeRoom, IndexedMemoryStateResStore, RoomFixture, type Branch } from './fixtures.js';
import { resolveState } from './resolve.js';
import { isPowerEvent, splitConflicts } from './v2.js';

const ADMIN = '@admin:example.org';
const MOD = '@mod:example.org';
const ALICE = '@alice:example.org';
const BOB = '@bob:example.org';
const CHARLIE = '@charlie:example.org';

const PL = stateKeyString('m.room.power_levels', '');
const JR = stateKeyString('m.room.join_rules', '');
const TOPIC = stateKeyString('m.room.topic', '');
const member = (user: string) => stateKeyString('m.room.member', user);

const V11 = getRoomVersion('11');
const V12 = getRoomVersion('12');

function resolve(room: RoomFixture, ...stateSets: Branch[]) {
  return resolveState({ roomVersion: room.version, stateSets, store: room.store });
}

/** Power levels content with the admin at 100 where creators are not privileged. */
function levels(room: RoomFixture, users: Record<string, number>) {
  return { users: room.version.privilegedCreators ? users : { [ADMIN]: 100, ...users } };
}

describe('splitConflicts', () => {
  it('puts keys missing from some sets or differing into the conflicted set', () => {
    const a = new Map([['k1', '$1'], ['k2', '$2'], ['k3', '$3']]);
    const b = new Map([['k1', '$1'], ['k2', '$9']]);
    const split = splitConflicts([a, b]);
    expect([...split.unconflicted]).toEqual([['k1', '$1']]);
    expect([...split.conflicted].sort()).toEqual(['$2', '$3', '$9']);
    expect(split.conflictedPerSet.map((ids) => ids.sort())).toEqual([['$2', '$3'], ['$9']]);
  });
});

describe('isPowerEvent', () => {
  it('counts power levels, join rules, kicks and bans, not self-leaves or joins', () => {
    const room = new RoomFixture(V11, ADMIN);
    const branch = room.open();
    const kick = room.member(branch, ADMIN, 'leave', ALICE);
    const leave = room.member(branch, BOB, 'leave');
    const ban = room.member(branch, ADMIN, 'ban', CHARLIE);
    const topic = room.send(branch, { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: { topic: 't' } });
    expect(isPowerEvent(room.pdu(branch.get(PL) as string))).toBe(true);
    expect(isPowerEvent(room.pdu(branch.get(JR) as string))).toBe(true);
    expect(isPowerEvent(room.pdu(kick))).toBe(true);
    expect(isPowerEvent(room.pdu(ban))).toBe(true);
    expect(isPowerEvent(room.pdu(leave))).toBe(false);
    expect(isPowerEvent(room.pdu(topic))).toBe(false);
    expect(isPowerEvent(room.pdu(branch.get(member(ADMIN)) as string))).toBe(false);
  });
});

describe.each([
  ['v2 (room v11)', V11],
  ['v2.1 (room v12)', V12],
])('state resolution %s', (_name, version) => {
  it('returns a single state set unchanged, and identical sets as they are', async () => {
    const room = new RoomFixture(version, ADMIN);
    const state = room.open();
    expect(await resolve(room, state)).toEqual(state);
    expect(await resolve(room, state, new Map(state))).toEqual(state);
    expect(await resolve(room)).toEqual(new Map());
  });

  it('applies a demotion before the demoted moderator’s concurrent ban', async () => {
    const room = new RoomFixture(version, ADMIN);
    const base = room.open({ [MOD]: 50 });
    room.member(base, MOD, 'join');
    room.member(base, ALICE, 'join');
    const [demoted, banned] = [new Map(base), new Map(base)];
    const demotion = room.send(demoted, { sender: ADMIN, type: 'm.room.power_levels', stateKey: '', content: levels(room, { [MOD]: 0 }) });
    room.member(banned, MOD, 'ban', ALICE);

    // The admin's event sorts first (greater sender power), so the ban is checked with the moderator at 0.
    for (const resolved of [await resolve(room, demoted, banned), await resolve(room, banned, demoted)]) {
      expect(resolved.get(PL)).toBe(demotion);
      expect(resolved.get(member(ALICE))).toBe(base.get(member(ALICE)));
    }
  });

  it('keeps the ban when the power change does not take the moderator’s power away', async () => {
    const room = new RoomFixture(version, ADMIN);
    const base = room.open({ [MOD]: 50 });
    room.member(base, MOD, 'join');
    room.member(base, ALICE, 'join');
    const [promoted, banned] = [new Map(base), new Map(base)];
    room.send(promoted, { sender: ADMIN, type: 'm.room.power_levels', stateKey: '', content: levels(room, { [MOD]: 50, [BOB]: 10 }) });
    const ban = room.member(banned, MOD, 'ban', ALICE);
    expect((await resolve(room, promoted, banned)).get(member(ALICE))).toBe(ban);
  });

  it('orders topics by mainline first: a topic on a newer power levels event wins over a later timestamp', async () => {
    const room = new RoomFixture(version, ADMIN);
    const base = room.open({ [MOD]: 50 });
    room.member(base, MOD, 'join');
    const [old, fresh] = [new Map(base), new Map(base)];
    const newLevels = room.send(fresh, { sender: ADMIN, type: 'm.room.power_levels', stateKey: '', content: levels(room, { [MOD]: 60 }) });
    const newerPlTopic = room.send(fresh, { sender: MOD, type: 'm.room.topic', stateKey: '', content: { topic: 'new' }, ts: 5_000 });
    room.send(old, { sender: MOD, type: 'm.room.topic', stateKey: '', content: { topic: 'old' }, ts: 9_000 });
    const resolved = await resolve(room, old, fresh);
    expect(resolved.get(PL)).toBe(newLevels);
    expect(resolved.get(TOPIC)).toBe(newerPlTopic);
  });

  it('orders topics on the same mainline position by timestamp, then event ID', async () => {
    const room = new RoomFixture(version, ADMIN);
    const base = room.open();
    const [a, b] = [new Map(base), new Map(base)];
    const late = room.send(a, { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: { topic: 'late' }, ts: 9_000 });
    room.send(b, { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: { topic: 'early' }, ts: 8_000 });
    expect((await resolve(room, a, b)).get(TOPIC)).toBe(late);

    const [c, d] = [new Map(base), new Map(base)];
    const x = room.send(c, { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: { topic: 'x' }, ts: 7_000 });
    const y = room.send(d, { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: { topic: 'y' }, ts: 7_000 });
    const greaterId = x > y ? x : y;
    expect((await resolve(room, c, d)).get(TOPIC)).toBe(greaterId);
  });

  it('rejects a join made concurrently with a change to invite-only', async () => {
    const room = new RoomFixture(version, ADMIN);
    const base = room.open();
    const [closed, joined] = [new Map(base), new Map(base)];
    const inviteOnly = room.send(closed, { sender: ADMIN, type: 'm.room.join_rules', stateKey: '', content: { join_rule: 'invite' } });
    room.member(joined, ALICE, 'join');
    const resolved = await resolve(room, joined, closed);
    expect(resolved.get(JR)).toBe(inviteOnly);
    expect(resolved.has(member(ALICE))).toBe(false);
  });

  it('keeps unconflicted state even when it would not pass the checks', async () => {
    const room = new RoomFixture(version, ADMIN);
    const base = room.open();
    // Alice was never in the room: her topic is unauthorised but both sets agree on it.
    const bogus = room.send(base, { sender: ALICE, type: 'm.room.topic', stateKey: '', content: { topic: 'x' } });
    const [a, b] = [new Map(base), new Map(base)];
    room.send(a, { sender: ADMIN, type: 'm.room.name', stateKey: '', content: { name: 'A' } });
    room.send(b, { sender: ADMIN, type: 'm.room.name', stateKey: '', content: { name: 'B' } });
    expect((await resolve(room, a, b)).get(TOPIC)).toBe(bogus);
  });

  it('discards a conflicted event that fails auth, leaving its key out', async () => {
    const room = new RoomFixture(version, ADMIN);
    const base = room.open();
    room.member(base, ALICE, 'join');
    const [a, b] = [new Map(base), new Map(base)];
    room.send(a, { sender: ALICE, type: 'm.room.name', stateKey: '', content: { name: 'not allowed' } });
    room.send(b, { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: { topic: 'fine' } });
    const resolved = await resolve(room, a, b);
    expect(resolved.has(stateKeyString('m.room.name', ''))).toBe(false);
    expect(resolved.get(TOPIC)).toBe(b.get(TOPIC));
  });

  it('never admits an event the store marks as rejected against its auth chain', async () => {
    const room = new RoomFixture(version, ADMIN);
    const base = room.open();
    const [a, b] = [new Map(base), new Map(base)];
    const name = room.send(a, { sender: ADMIN, type: 'm.room.name', stateKey: '', content: { name: 'n' } });
    room.send(b, { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: { topic: 't' } });
    expect((await resolve(room, a, b)).get(stateKeyString('m.room.name', ''))).toBe(name);
    room.store.add({ eventId: name, pdu: room.pdu(name), rejected: true });
    expect((await resolve(room, a, b)).has(stateKeyString('m.room.name', ''))).toBe(false);
  });

  it('fetches each event at most once, even for a big room', async () => {
    const { room, stateSets } = buildLargeRoom({ version, members: 600, conflicts: 40 });
    const resolved = await resolve(room, ...stateSets);
    expect(room.store.fetched).toBeLessThanOrEqual(room.store.events.size);
    expect(resolved.size).toBeGreaterThan(600);
    // The demotion of the moderator (branch 0, first event) wins; the moderator's kicks do not.
    expect(resolved.get(PL)).toBe(stateSets[0]?.get(PL));

    // With an auth-chain index, only the conflicted part of the room is loaded, for the same result.
    const indexed = IndexedMemoryStateResStore.from(room.store);
    expect(await resolveState({ roomVersion: version, stateSets, store: indexed })).toEqual(resolved);
    expect(indexed.chainQueries).toBe(1);
    expect(indexed.fetched).toBeLessThan(200);
  });
});

describe('state resolution v2.1 differences (MSC4297 scenarios)', () => {
  /** Alice (an admin) changes the join rules twice, then leaves; one set carries the outdated join rules. */
  async function staleJoinRules(version: typeof V11) {
    const room = new RoomFixture(version, ADMIN);
    const state = room.open({ [ALICE]: 100 });
    room.member(state, ALICE, 'join');
    const first = room.send(state, { sender: ALICE, type: 'm.room.join_rules', stateKey: '', content: { join_rule: 'invite' } });
    const second = room.send(state, { sender: ALICE, type: 'm.room.join_rules', stateKey: '', content: { join_rule: 'knock' } });
    room.member(state, ALICE, 'leave');
    const stale = new Map(state).set(JR, first);
    return { resolved: await resolve(room, state, stale), second };
  }

  it('v2 replays the join rules on top of the unconflicted leave and loses them (problem A)', async () => {
    const { resolved } = await staleJoinRules(V11);
    expect(resolved.has(JR)).toBe(false);
  });

  it('v2.1 starts from an empty state and keeps the newest join rules (problem A)', async () => {
    const { resolved, second } = await staleJoinRules(V12);
    expect(resolved.get(JR)).toBe(second);
  });

  /** Alice promotes Bob, Bob promotes Charlie, Charlie sets a topic; one set has the first power levels. */
  async function stalePowerLevels(version: typeof V11) {
    const room = new RoomFixture(version, ADMIN);
    const state = room.open({ [ALICE]: 100 });
    const original = state.get(PL) as string;
    for (const user of [ALICE, BOB, CHARLIE]) room.member(state, user, 'join');
    room.send(state, { sender: ALICE, type: 'm.room.power_levels', stateKey: '', content: levels(room, { [ALICE]: 100, [BOB]: 50 }) });
    const last = room.send(state, {
      sender: BOB,
      type: 'm.room.power_levels',
      stateKey: '',
      content: levels(room, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 }),
    });
    room.send(state, { sender: CHARLIE, type: 'm.room.topic', stateKey: '', content: { topic: 'hi' } });
    const stale = new Map(state).set(PL, original);
    return { resolved: await resolve(room, state, stale), original, last };
  }

  it('v2 misses the intermediate promotion and resets the power levels (problem B)', async () => {
    const { resolved, original } = await stalePowerLevels(V11);
    expect(resolved.get(PL)).toBe(original);
  });

  it('v2.1 replays the conflicted state subgraph and keeps the newest power levels (problem B)', async () => {
    const { resolved, last } = await stalePowerLevels(V12);
    expect(resolved.get(PL)).toBe(last);
  });
});
