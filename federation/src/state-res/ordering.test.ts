import { describe, expect, it } from 'vitest';
import { getRoomVersion } from '../room-versions/table.js';
import { AuthGraph } from './auth-chain.js';
import { RoomFixture } from './fixtures.js';
import { mainlineOrder, reverseTopologicalPowerOrder, senderPowerLevel } from './ordering.js';

const ADMIN = '@admin:example.org';
const MOD = '@mod:example.org';
const ALICE = '@alice:example.org';

async function loadedGraph(room: RoomFixture): Promise<AuthGraph> {
  const graph = new AuthGraph(room.store);
  await graph.load(room.store.events.keys());
  return graph;
}

describe('senderPowerLevel', () => {
  it('reads the cited power levels, falling back to 100 for the creator without one', async () => {
    const room = new RoomFixture(getRoomVersion('11'), ADMIN);
    const branch = new Map(room.initial);
    const creatorJoin = room.member(branch, ADMIN, 'join');
    room.send(branch, { sender: ADMIN, type: 'm.room.power_levels', stateKey: '', content: { users: { [ADMIN]: 100, [MOD]: 42 }, users_default: 3 } });
    const modTopic = room.send(branch, { sender: MOD, type: 'm.room.topic', stateKey: '', content: {} });
    const aliceTopic = room.send(branch, { sender: ALICE, type: 'm.room.topic', stateKey: '', content: {} });
    const graph = await loadedGraph(room);
    const level = (id: string) => senderPowerLevel(graph.get(id)!, { graph, version: room.version });
    expect(level(creatorJoin)).toBe(100);
    expect(level(modTopic)).toBe(42);
    expect(level(aliceTopic)).toBe(3);
  });

  it('gives v12 creators infinite power and reads v1-v9 string levels', async () => {
    const v12 = new RoomFixture(getRoomVersion('12'), ADMIN, { additional_creators: [MOD] });
    const branch12 = v12.open();
    const modTopic = v12.send(branch12, { sender: MOD, type: 'm.room.topic', stateKey: '', content: {} });
    const graph12 = await loadedGraph(v12);
    const createEvent = v12.pdu(v12.createEventId);
    expect(senderPowerLevel(graph12.get(modTopic)!, { graph: graph12, version: v12.version, createEvent })).toBe(Infinity);

    const v9 = new RoomFixture(getRoomVersion('9'), ADMIN);
    const branch9 = v9.open();
    v9.send(branch9, { sender: ADMIN, type: 'm.room.power_levels', stateKey: '', content: { users: { [ADMIN]: '100', [MOD]: ' +75 ' } } });
    const stringy = v9.send(branch9, { sender: MOD, type: 'm.room.topic', stateKey: '', content: {} });
    const graph9 = await loadedGraph(v9);
    expect(senderPowerLevel(graph9.get(stringy)!, { graph: graph9, version: v9.version })).toBe(75);
  });
});

describe('reverseTopologicalPowerOrder', () => {
  it('puts auth events first, then greater sender power, earlier timestamp, smaller event ID', async () => {
    const room = new RoomFixture(getRoomVersion('11'), ADMIN);
    const branch = room.open({ [MOD]: 50 });
    room.member(branch, MOD, 'join');
    const [a, b, c] = [new Map(branch), new Map(branch), new Map(branch)];
    const modEarly = room.send(a, { sender: MOD, type: 'm.room.join_rules', stateKey: '', content: { join_rule: 'invite' }, ts: 100 });
    const adminLate = room.send(b, { sender: ADMIN, type: 'm.room.join_rules', stateKey: '', content: { join_rule: 'public' }, ts: 900 });
    const adminTie1 = room.send(c, { sender: ADMIN, type: 'm.room.name', stateKey: '', content: { name: '1' }, ts: 900 });
    const adminTie2 = room.send(c, { sender: ADMIN, type: 'm.room.name', stateKey: 'x', content: { name: '2' }, ts: 900 });
    // An event authorised by the moderator's join rules must follow it, whatever its sender's power.
    const afterMod = room.send(a, { sender: ADMIN, type: 'm.room.member', stateKey: ALICE, content: { membership: 'invite' }, ts: 1 });
    const graph = await loadedGraph(room);
    const sorted = reverseTopologicalPowerOrder([afterMod, modEarly, adminTie2, adminLate, adminTie1], { graph, version: room.version });
    const ties = [adminTie1, adminTie2].sort();
    // afterMod (ts 1, admin) waits on modEarly, which is the weakest candidate and so comes last but one.
    expect(sorted).toEqual([ties[0], ties[1], adminLate, modEarly, afterMod].map(String));
    expect(sorted.slice(0, 3).sort()).toEqual([adminLate, adminTie1, adminTie2].sort());
  });
});

describe('mainlineOrder', () => {
  it('sorts by mainline position (earlier power levels first, none first of all), then timestamp, then ID', async () => {
    const room = new RoomFixture(getRoomVersion('11'), ADMIN);
    const branch = new Map(room.initial);
    room.member(branch, ADMIN, 'join');
    const noLevels = room.send(branch, { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: {}, ts: 9_000 });
    const p1 = room.send(branch, { sender: ADMIN, type: 'm.room.power_levels', stateKey: '', content: { users: { [ADMIN]: 100 } } });
    const onP1Late = room.send(new Map(branch), { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: { n: 1 }, ts: 8_000 });
    const onP1Early = room.send(new Map(branch), { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: { n: 2 }, ts: 7_000 });
    const p2 = room.send(branch, { sender: ADMIN, type: 'm.room.power_levels', stateKey: '', content: { users: { [ADMIN]: 100, [MOD]: 1 } } });
    // A power levels event off the mainline that cites p2: its events take p2's position.
    const side = room.send(new Map(branch), { sender: ADMIN, type: 'm.room.power_levels', stateKey: '', content: { users: { [ADMIN]: 100, [MOD]: 2 } } });
    const onP2 = room.send(branch, { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: { n: 3 }, ts: 1_000 });
    const sideBranch = new Map(branch).set('m.room.power_levels\u0000', side);
    const onSide = room.send(sideBranch, { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: { n: 4 }, ts: 500 });
    const p3 = room.send(branch, { sender: ADMIN, type: 'm.room.power_levels', stateKey: '', content: { users: { [ADMIN]: 100, [MOD]: 3 } } });
    const graph = await loadedGraph(room);
    const ids = [onP2, p1, onSide, noLevels, onP1Late, onP1Early];
    // Mainline of p3: [p3, p2, p1]. Positions: noLevels ∞, p1 ∞ (cites none; ts 9001), onP1* 2, onSide 1, onP2 1.
    expect(mainlineOrder(ids, p3, graph)).toEqual([noLevels, p1, onP1Early, onP1Late, onSide, onP2].map(String));
    // Without power levels every position is ∞: timestamps decide.
    expect(mainlineOrder([noLevels, onP2, onP1Early], undefined, graph)).toEqual([onP2, onP1Early, noLevels]);
    void p2;
  });
});
