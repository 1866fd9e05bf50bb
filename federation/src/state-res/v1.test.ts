import { describe, expect, it } from 'vitest';
import { stateKeyString } from '../events/pdu.js';
import { getRoomVersion } from '../room-versions/table.js';
import { RoomFixture, type Branch } from './fixtures.js';
import { resolveState } from './resolve.js';

const ADMIN = '@admin:example.org';
const MOD = '@mod:example.org';
const ALICE = '@alice:example.org';
const PL = stateKeyString('m.room.power_levels', '');
const TOPIC = stateKeyString('m.room.topic', '');
const NAME = stateKeyString('m.room.name', '');

const V1 = getRoomVersion('1');

function setup() {
  const room = new RoomFixture(V1, ADMIN);
  const base = room.open({ [MOD]: 50 });
  room.member(base, MOD, 'join');
  room.member(base, ALICE, 'join');
  return { room, base };
}

function resolve(room: RoomFixture, ...stateSets: Branch[]) {
  return resolveState({ roomVersion: V1, stateSets, store: room.store });
}

describe('state resolution v1 (room v1)', () => {
  it('uses v1 event IDs and reference pairs', () => {
    const { room, base } = setup();
    const pdu = room.pdu(base.get(PL) as string);
    expect(base.get(PL)).toMatch(/^\$e\d+:example\.org$/);
    expect(Array.isArray(pdu.auth_events[0])).toBe(true);
  });

  it('applies conflicting power levels from the shallowest until one fails auth', async () => {
    const { room, base } = setup();
    const [a, b] = [new Map(base), new Map(base)];
    // Shallower: the admin demotes the moderator. Deeper: the moderator changes power levels.
    const demotion = room.send(a, { sender: ADMIN, type: 'm.room.power_levels', stateKey: '', content: { users: { [ADMIN]: 100 } } });
    room.send(b, { sender: MOD, type: 'm.room.power_levels', stateKey: '', content: { users: { [ADMIN]: 100, [MOD]: 50, [ALICE]: 10 } } });
    expect((await resolve(room, a, b)).get(PL)).toBe(demotion);
    expect((await resolve(room, b, a)).get(PL)).toBe(demotion);
  });

  it('takes the deepest conflicting power levels when every one passes', async () => {
    const { room, base } = setup();
    const [a, b] = [new Map(base), new Map(base)];
    room.send(a, { sender: ADMIN, type: 'm.room.power_levels', stateKey: '', content: { users: { [ADMIN]: 100, [MOD]: 40 } } });
    const deeper = room.send(b, { sender: ADMIN, type: 'm.room.power_levels', stateKey: '', content: { users: { [ADMIN]: 100, [MOD]: 60 } } });
    expect((await resolve(room, a, b)).get(PL)).toBe(deeper);
  });

  it('picks the deepest other event that passes auth against the resolved power events', async () => {
    const { room, base } = setup();
    const [a, b] = [new Map(base), new Map(base)];
    const adminTopic = room.send(a, { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: { topic: 'admin' } });
    room.send(b, { sender: ALICE, type: 'm.room.topic', stateKey: '', content: { topic: 'alice (not allowed)' } });
    expect((await resolve(room, a, b)).get(TOPIC)).toBe(adminTopic);

    const [c, d] = [new Map(base), new Map(base)];
    room.send(c, { sender: ADMIN, type: 'm.room.topic', stateKey: '', content: { topic: 'first' } });
    const deeper = room.send(d, { sender: MOD, type: 'm.room.topic', stateKey: '', content: { topic: 'second' } });
    expect((await resolve(room, c, d)).get(TOPIC)).toBe(deeper);
  });

  it('does not treat a key missing from some sets as a conflict', async () => {
    const { room, base } = setup();
    const a = new Map(base);
    const name = room.send(a, { sender: ALICE, type: 'm.room.name', stateKey: '', content: { name: 'unchecked' } });
    expect((await resolve(room, a, new Map(base))).get(NAME)).toBe(name);
  });
});
