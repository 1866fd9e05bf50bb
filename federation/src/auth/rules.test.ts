import { describe, it, expect } from 'vitest';
import { ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, MOD, Room, outcome, pdu, standardRoom } from './test-fixtures.js';
import { getRoomVersion } from '../room-versions/table.js';
import { authorizeEvent } from './rules.js';

/** The top-level rule numbers as each version's spec page prints them (written out, not computed). */
const TOP: Record<string, { federate: string; member: string; joined: string; tpi: string; power: string; at: string; pl: string }> = {};
for (const v of ALL_VERSIONS) {
  const n = Number(v);
  TOP[v] =
    n <= 5
      ? { federate: '3', member: '5', joined: '6', tpi: '7', power: '8', at: '9', pl: '10' }
      : n <= 11
        ? { federate: '3', member: '4', joined: '5', tpi: '6', power: '7', at: '8', pl: '9' }
        : { federate: '4', member: '5', joined: '6', tpi: '7', power: '8', at: '9', pl: '10' };
}
const top = (v: string) => TOP[v] as (typeof TOP)[string];
const isOld = (v: string, below: number) => Number(v) < below;

describe.each(ALL_VERSIONS)('room version %s: m.room.create (rule 1)', (v) => {
  const version = getRoomVersion(v);
  const create = (fields: Partial<Parameters<typeof pdu>[0]> = {}, content: Record<string, unknown> = {}) => {
    const base = new Room(v).create;
    const event = pdu({ ...base, ...fields, content: { ...base.content, ...(content as object) } });
    return authorizeEvent({ event, eventId: '$create:a.example', roomVersion: version, authState: new Map() });
  };

  it('allows a well-formed create event with no auth state', () => {
    expect(outcome(create())).toBe('allow');
  });

  it('1.1 rejects a create event with prev_events', () => {
    expect(outcome(create({ prev_events: ['$x:a.example'] as never }))).toBe('reject 1.1');
  });

  it('1.2 checks the room ID', () => {
    if (v === '12') {
      expect(outcome(create({ room_id: '!room:a.example' }))).toBe('reject 1.2');
    } else {
      expect(outcome(create({ room_id: '!room:b.example' }))).toBe('reject 1.2');
      expect(outcome(create({ room_id: undefined }))).toBe('reject 1.2');
      expect(outcome(create({ room_id: '!room:a.example' }))).toBe('allow');
    }
  });

  it('1.3 rejects an unknown room_version and allows a missing one', () => {
    expect(outcome(create({}, { room_version: '99' }))).toBe('reject 1.3');
    expect(outcome(create({}, { room_version: 12 }))).toBe('reject 1.3');
    expect(outcome(create({}, { room_version: undefined }))).toBe('allow');
  });

  it('1.4 needs content.creator only before v11', () => {
    const result = create({}, { creator: undefined });
    expect(outcome(result)).toBe(isOld(v, 11) ? 'reject 1.4' : 'allow');
  });

  it('1.4 (v12) validates additional_creators', () => {
    const good = create({}, { additional_creators: [BOB, '@old:x.example:8448'] });
    const bad = [{ additional_creators: BOB }, { additional_creators: ['@nocolon'] }, { additional_creators: [5] }, { additional_creators: ['bob:b.example'] }];
    expect(outcome(good)).toBe('allow');
    for (const content of bad) expect(outcome(create({}, content))).toBe(v === '12' ? 'reject 1.4' : 'allow');
  });
});

describe.each(ALL_VERSIONS)('room version %s: the create event in the state', (v) => {
  it('rejects events when the state has no create event (v12 rule 2, else 2.4)', () => {
    const room = standardRoom(v).drop('m.room.create');
    const result = room.auth(room.event({ type: 'm.room.message', sender: BOB }));
    expect(outcome(result)).toBe(v === '12' ? 'reject 2' : 'reject 2.4');
  });

  it('rejects an event whose room ID does not match the create event (v12 rule 2, else 2.5)', () => {
    const room = standardRoom(v);
    const result = room.auth(room.event({ type: 'm.room.message', sender: BOB, room_id: '!other:a.example' }));
    expect(outcome(result)).toBe(v === '12' ? 'reject 2' : 'reject 2.5');
    expect(outcome(room.auth(room.event({ type: 'm.room.message', sender: BOB })))).toBe('allow');
  });

  it('v12 rule 2: the room ID must hash the create event itself', () => {
    if (v !== '12') return;
    const room = standardRoom(v);
    const other = new Room(v, { topic_seed: 'different' });
    room.put(other.create);
    const result = room.auth(room.event({ type: 'm.room.message', sender: BOB }));
    expect(result).toMatchObject({ allowed: false, rule: '2' });
  });
});

describe.each(ALL_VERSIONS)('room version %s: m.federate', (v) => {
  const room = () => standardRoom(v, { 'm.federate': false });

  it('rejects events from other servers when m.federate is false', () => {
    const r = room();
    expect(outcome(r.auth(r.event({ type: 'm.room.message', sender: BOB })))).toBe(`reject ${top(v).federate}`);
    expect(outcome(r.auth(r.member(CAROL, 'join')))).toBe(`reject ${top(v).federate}`);
  });

  it("allows events from the creator's server", () => {
    const r = room();
    expect(outcome(r.auth(r.event({ type: 'm.room.message', sender: MOD })))).toBe('allow');
    expect(outcome(r.auth(r.member(DAVE, 'join')))).toBe('allow');
  });

  it('allows other servers when m.federate is true or absent', () => {
    const r = standardRoom(v, { 'm.federate': true });
    expect(outcome(r.auth(r.event({ type: 'm.room.message', sender: BOB })))).toBe('allow');
  });
});

describe.each(ALL_VERSIONS)('room version %s: m.room.aliases', (v) => {
  const special = isOld(v, 6);
  const aliases = (room: Room, sender: string, stateKey?: string) =>
    room.event({ type: 'm.room.aliases', sender, state_key: stateKey, content: { aliases: ['#a:b.example'] } });

  it(special ? '4.3 lets a server set its own aliases, even when not joined' : 'treats aliases as ordinary state', () => {
    const room = standardRoom(v);
    const result = room.auth(aliases(room, CAROL, 'c.example'));
    expect(outcome(result)).toBe(special ? 'allow' : `reject ${top(v).joined}`);
  });

  it(special ? '4.2 rejects aliases for another server' : 'requires the state power level', () => {
    const room = standardRoom(v);
    const result = room.auth(aliases(room, BOB, 'a.example'));
    expect(outcome(result)).toBe(special ? 'reject 4.2' : `reject ${top(v).power}`);
  });

  it('4.1 rejects aliases without a state_key (v1-v5)', () => {
    const room = standardRoom(v);
    const result = room.auth(aliases(room, BOB));
    expect(outcome(result)).toBe(special ? 'reject 4.1' : 'allow');
  });

  it('v6+: allows aliases when the sender has the power level', () => {
    const room = standardRoom(v).powerLevels({ users: {}, events: { 'm.room.aliases': 0 } });
    expect(outcome(room.auth(aliases(room, BOB, 'a.example')))).toBe(special ? 'reject 4.2' : 'allow');
  });
});

describe.each(ALL_VERSIONS)('room version %s: sender membership, power and state keys', (v) => {
  it('rejects non-member events from users who are not joined', () => {
    const room = standardRoom(v).members({ [DAVE]: 'invite' });
    for (const sender of [CAROL, DAVE]) {
      expect(outcome(room.auth(room.event({ type: 'm.room.message', sender })))).toBe(`reject ${top(v).joined}`);
    }
    expect(outcome(room.auth(room.event({ type: 'm.room.message', sender: BOB })))).toBe('allow');
  });

  it('m.room.third_party_invite needs the invite level', () => {
    const room = standardRoom(v);
    const invite = (sender: string) =>
      room.event({ type: 'm.room.third_party_invite', sender, state_key: 'tok', content: { public_key: 'abc' } });
    expect(outcome(room.auth(invite(BOB)))).toBe('allow');
    room.powerLevels({ users: { [MOD]: 50 }, invite: 50 });
    expect(outcome(room.auth(invite(BOB)))).toBe(`reject ${top(v).tpi}`);
    expect(outcome(room.auth(invite(MOD)))).toBe('allow');
  });

  it('m.room.third_party_invite ignores the events map (rule before the required power level)', () => {
    const room = standardRoom(v).powerLevels({ users: { [MOD]: 50 }, events: { 'm.room.third_party_invite': 100 } });
    const event = room.event({ type: 'm.room.third_party_invite', sender: BOB, state_key: 'tok', content: {} });
    expect(outcome(room.auth(event))).toBe('allow');
  });

  it('state events need state_default, messages events_default, events entries override both', () => {
    const room = standardRoom(v);
    const topic = (sender: string) => room.event({ type: 'm.room.topic', sender, state_key: '', content: { topic: 't' } });
    const message = (sender: string) => room.event({ type: 'm.room.message', sender });
    expect(outcome(room.auth(topic(BOB)))).toBe(`reject ${top(v).power}`);
    expect(outcome(room.auth(topic(MOD)))).toBe('allow');
    room.powerLevels({ users: { [MOD]: 50 }, events: { 'm.room.message': 10, 'm.room.topic': 0 }, events_default: 0 });
    expect(outcome(room.auth(message(BOB)))).toBe(`reject ${top(v).power}`);
    expect(outcome(room.auth(topic(BOB)))).toBe('allow');
    room.powerLevels({ users: { [MOD]: 50 }, events_default: 60, state_default: 0 });
    expect(outcome(room.auth(message(MOD)))).toBe(`reject ${top(v).power}`);
    expect(outcome(room.auth(topic(BOB)))).toBe('allow');
  });

  it('without a power levels event the creator has 100 (v12: infinite), others 0, state needs 50', () => {
    const room = standardRoom(v).drop('m.room.power_levels');
    const topic = (sender: string) => room.event({ type: 'm.room.topic', sender, state_key: '', content: {} });
    expect(outcome(room.auth(topic(ALICE)))).toBe('allow');
    expect(outcome(room.auth(topic(MOD)))).toBe(`reject ${top(v).power}`);
    expect(outcome(room.auth(room.event({ type: 'm.room.message', sender: BOB })))).toBe('allow');
  });

  it('rejects a state_key that is another user ID and allows the sender’s own', () => {
    const room = standardRoom(v);
    const custom = (stateKey: string) => room.event({ type: 'org.example.state', sender: MOD, state_key: stateKey });
    expect(outcome(room.auth(custom(BOB)))).toBe(`reject ${top(v).at}`);
    expect(outcome(room.auth(custom('@')))).toBe(`reject ${top(v).at}`);
    expect(outcome(room.auth(custom(MOD)))).toBe('allow');
    expect(outcome(room.auth(custom('not-a-user')))).toBe('allow');
  });

  it('v12: additional creators have infinite power, pre-v12 they are ordinary users', () => {
    const room = standardRoom(v, { additional_creators: [BOB] });
    const event = room.event({ type: 'm.room.tombstone', sender: BOB, state_key: '', content: {} });
    expect(outcome(room.auth(event))).toBe(v === '12' ? 'allow' : `reject ${top(v).power}`);
  });

  it('v12: the creator outranks any power level', () => {
    const room = standardRoom(v).powerLevels({ users: { [MOD]: 50 }, events: { 'm.room.tombstone': 9_007_199_254_740_991 } });
    const event = room.event({ type: 'm.room.tombstone', sender: ALICE, state_key: '', content: {} });
    expect(outcome(room.auth(event))).toBe(v === '12' ? 'allow' : `reject ${top(v).power}`);
  });
});

describe.each(ALL_VERSIONS)('room version %s: m.room.redaction', (v) => {
  const v1Rule = isOld(v, 3);
  const redaction = (room: Room, sender: string, redacts: string) =>
    room.version.redactsInContent
      ? room.event({ type: 'm.room.redaction', sender, content: { redacts } })
      : room.event({ type: 'm.room.redaction', sender, redacts });

  it('allows a sender at the redact level to redact anything', () => {
    const room = standardRoom(v);
    expect(outcome(room.auth(redaction(room, MOD, '$x:b.example'), { eventId: '$r:a.example' }))).toBe('allow');
  });

  it(v1Rule ? '11.2 allows redacting an event from the same server' : 'leaves same-server checks to redaction handling', () => {
    const room = standardRoom(v);
    expect(outcome(room.auth(redaction(room, BOB, '$x:b.example'), { eventId: '$r:b.example' }))).toBe('allow');
  });

  it(v1Rule ? '11.3 rejects redacting another server’s event below the redact level' : 'does not apply the redact level', () => {
    const room = standardRoom(v);
    const result = room.auth(redaction(room, BOB, '$x:a.example'), { eventId: '$r:b.example' });
    expect(outcome(result)).toBe(v1Rule ? 'reject 11.3' : 'allow');
  });

  it('applies the events level for m.room.redaction', () => {
    const room = standardRoom(v).powerLevels({ users: { [MOD]: 50 }, events: { 'm.room.redaction': 60 } });
    expect(outcome(room.auth(redaction(room, MOD, '$x:a.example'), { eventId: '$r:a.example' }))).toBe(`reject ${top(v).power}`);
  });
});
