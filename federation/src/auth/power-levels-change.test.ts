import { describe, it, expect } from 'vitest';
import type { JsonObject } from '../json/canonical.js';
import { ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, MOD, Room, outcome, standardRoom } from './test-fixtures.js';

/** The power levels rule numbers as each version's page prints them. */
function plRules(v: string) {
  const n = Number(v);
  if (n <= 9) {
    const b = n <= 5 ? '10' : '9';
    // Before v10 the spec has no rule for malformed levels; ours rejects under the users rule (NOTSPEC).
    return { integers: `${b}.1`, maps: `${b}.1`, users: `${b}.1`, creators: '-', levels: `${b}.3`, evRemoved: `${b}.4`, evAdded: `${b}.5`, usRemoved: `${b}.6`, usAdded: `${b}.7` };
  }
  if (n <= 11) return { integers: '9.1', maps: '9.2', users: '9.3', creators: '-', levels: '9.5', evRemoved: '9.6', evAdded: '9.7', usRemoved: '9.8', usAdded: '9.9' };
  return { integers: '10.1', maps: '10.2', users: '10.3', creators: '10.4', levels: '10.6', evRemoved: '10.7', evAdded: '10.8', usRemoved: '10.9', usAdded: '10.10' };
}

const num = (v: string) => Number(v);

/** A room whose current power levels are `previous` (plus the creator's entry before v12). */
function roomWith(v: string, previous: JsonObject, createContent: JsonObject = {}): Room {
  const room = standardRoom(v, createContent);
  const users = { ...((previous.users as JsonObject | undefined) ?? { [MOD]: 50 }) };
  if (!room.version.privilegedCreators) users[ALICE] = 100;
  return room.powerLevels({ ...previous, users });
}

/** Sends new power levels content; ALICE's pre-v12 entry is kept unless `keepCreator` is false. */
function send(room: Room, sender: string, content: JsonObject, keepCreator = true) {
  const users = { ...((content.users as JsonObject | undefined) ?? { [MOD]: 50 }) };
  if (keepCreator && !room.version.privilegedCreators) users[ALICE] = 100;
  return outcome(room.auth(room.event({ type: 'm.room.power_levels', sender, state_key: '', content: { ...content, users } })));
}

describe.each(ALL_VERSIONS)('room version %s: power levels content', (v) => {
  const r = plRules(v);

  it('allows the first power levels event whatever its levels', () => {
    const room = new Room(v).members({ [ALICE]: 'join' });
    expect(send(room, ALICE, { users: { [BOB]: 100 }, ban: 0, events: { 'm.room.name': 1000 } })).toBe('allow');
  });

  it('checks the top-level levels are levels', () => {
    const room = roomWith(v, {});
    expect(send(room, MOD, { ban: 'x' })).toBe(`reject ${r.integers}`);
    expect(send(room, MOD, { ban: '40' })).toBe(num(v) >= 10 ? `reject ${r.integers}` : 'allow');
    expect(send(room, MOD, { kick: 40.5 })).toBe(num(v) <= 5 ? 'allow' : `reject ${r.integers}`);
    expect(send(room, MOD, { invite: null })).toBe(`reject ${r.integers}`);
    expect(send(room, MOD, { kick: 40 })).toBe('allow');
  });

  it('checks events and notifications are objects of levels (notifications from v6)', () => {
    const room = roomWith(v, {});
    expect(send(room, MOD, { events: 'x' })).toBe(`reject ${r.maps}`);
    expect(send(room, MOD, { events: { 'm.room.name': [] } })).toBe(`reject ${r.maps}`);
    expect(send(room, MOD, { events: { 'm.room.name': '40' } })).toBe(num(v) >= 10 ? `reject ${r.maps}` : 'allow');
    expect(send(room, MOD, { notifications: { room: 'lots' } })).toBe(num(v) <= 5 ? 'allow' : `reject ${r.maps}`);
    expect(send(room, MOD, { notifications: 7 })).toBe(num(v) <= 5 ? 'allow' : `reject ${r.maps}`);
    expect(send(room, MOD, { events: { 'm.room.name': 40 }, notifications: { room: 40 } })).toBe('allow');
  });

  it('checks users maps user IDs to levels', () => {
    const room = roomWith(v, {});
    const users = (extra: JsonObject) => send(room, MOD, { users: { [MOD]: 50, ...extra } });
    const raw = (users: JsonObject['users']) =>
      outcome(room.auth(room.event({ type: 'm.room.power_levels', sender: MOD, state_key: '', content: { users } })));
    expect(raw([])).toBe(`reject ${r.users}`);
    expect(raw('@a:b.example')).toBe(`reject ${r.users}`);
    expect(users({ 'not-a-user': 10 })).toBe(`reject ${r.users}`);
    expect(users({ '@nocolon': 10 })).toBe(`reject ${r.users}`);
    expect(users({ [BOB]: 'abc' })).toBe(`reject ${r.users}`);
    expect(users({ [BOB]: '10' })).toBe(num(v) >= 10 ? `reject ${r.users}` : 'allow');
    expect(users({ [BOB]: 10, '@old\u00e9:b.example': 5 })).toBe('allow');
  });

  it('v12: room creators may not appear in users', () => {
    const room = roomWith(v, {}, { additional_creators: [CAROL] });
    const withAlice = send(room, MOD, { users: { [MOD]: 50, [ALICE]: 100 } });
    const withCarol = send(room, MOD, { users: { [MOD]: 50, [CAROL]: 10 } });
    expect(withAlice).toBe(v === '12' ? `reject ${r.creators}` : 'allow');
    expect(withCarol).toBe(v === '12' ? `reject ${r.creators}` : 'allow');
  });
});

describe.each(ALL_VERSIONS)('room version %s: power levels changes', (v) => {
  const r = plRules(v);

  it('top-level levels: neither the old nor the new value may exceed the sender', () => {
    const room = roomWith(v, { ban: 60, kick: 50 });
    expect(send(room, MOD, { ban: 60, kick: 40 })).toBe('allow');
    expect(send(room, MOD, { ban: 60 })).toBe('allow'); // removing kick (50) is within MOD's power
    expect(send(room, MOD, { ban: 40, kick: 50 })).toBe(`reject ${r.levels}`);
    expect(send(room, MOD, { kick: 50 })).toBe(`reject ${r.levels}`); // removing ban (60)
    expect(send(room, MOD, { ban: 60, kick: 50, redact: 70 })).toBe(`reject ${r.levels}`);
    expect(send(room, MOD, { ban: 60, kick: 50, users_default: 51 })).toBe(`reject ${r.levels}`);
    expect(send(room, MOD, { ban: 60, kick: 50, state_default: 50, invite: 50 })).toBe('allow');
  });

  it('v1-v9: a value rewritten as an equal string is no change', () => {
    if (num(v) >= 10) return;
    const room = roomWith(v, { ban: '60' });
    expect(send(room, MOD, { ban: 60 })).toBe('allow');
    expect(send(room, MOD, { ban: ' 060 ' })).toBe('allow');
    expect(send(room, MOD, { ban: 61 })).toBe(`reject ${r.levels}`);
  });

  it('events: changed or removed entries must not be above the sender', () => {
    const room = roomWith(v, { events: { 'm.room.name': 70, 'm.room.topic': 40 } });
    expect(send(room, MOD, { events: { 'm.room.name': 70, 'm.room.topic': 50 } })).toBe('allow');
    expect(send(room, MOD, { events: { 'm.room.name': 70 } })).toBe('allow');
    expect(send(room, MOD, { events: { 'm.room.name': 40, 'm.room.topic': 40 } })).toBe(`reject ${r.evRemoved}`);
    expect(send(room, MOD, { events: { 'm.room.topic': 40 } })).toBe(`reject ${r.evRemoved}`);
  });

  it('events: added or changed entries must not be above the sender', () => {
    const room = roomWith(v, { events: { 'm.room.topic': 40 } });
    expect(send(room, MOD, { events: { 'm.room.topic': 40, 'm.room.tombstone': 50 } })).toBe('allow');
    expect(send(room, MOD, { events: { 'm.room.topic': 40, 'm.room.tombstone': 60 } })).toBe(`reject ${r.evAdded}`);
    expect(send(room, MOD, { events: { 'm.room.topic': 51 } })).toBe(`reject ${r.evAdded}`);
  });

  it('notifications: checked like events from v6, ignored before', () => {
    const room = roomWith(v, { notifications: { room: 70 } });
    const checked = num(v) >= 6;
    expect(send(room, MOD, { notifications: { room: 40 } })).toBe(checked ? `reject ${r.evRemoved}` : 'allow');
    expect(send(room, MOD, {})).toBe(checked ? `reject ${r.evRemoved}` : 'allow');
    expect(send(room, MOD, { notifications: { room: 70, other: 60 } })).toBe(checked ? `reject ${r.evAdded}` : 'allow');
    expect(send(room, MOD, { notifications: { room: 70, other: 50 } })).toBe('allow');
  });

  it('checks every removal (events and notifications) before any addition', () => {
    const room = roomWith(v, { events: { 'm.room.topic': 40 }, notifications: { room: 70 } });
    const result = send(room, MOD, { events: { 'm.room.topic': 40, 'm.room.tombstone': 60 }, notifications: {} });
    expect(result).toBe(num(v) >= 6 ? `reject ${r.evRemoved}` : `reject ${r.evAdded}`);
  });

  it('users: others at or above the sender cannot be changed or removed', () => {
    const room = roomWith(v, { users: { [MOD]: 50, [BOB]: 50, [DAVE]: 10 } });
    expect(send(room, MOD, { users: { [MOD]: 50, [BOB]: 50, [DAVE]: 20 } })).toBe('allow');
    expect(send(room, MOD, { users: { [MOD]: 50, [BOB]: 50 } })).toBe('allow');
    expect(send(room, MOD, { users: { [MOD]: 50, [BOB]: 40, [DAVE]: 10 } })).toBe(`reject ${r.usRemoved}`);
    expect(send(room, MOD, { users: { [MOD]: 50, [DAVE]: 10 } })).toBe(`reject ${r.usRemoved}`);
  });

  it('users: the sender may lower but not raise themselves, nor give more than they have', () => {
    const room = roomWith(v, { users: { [MOD]: 50 } });
    expect(send(room, MOD, { users: { [MOD]: 10 } })).toBe('allow');
    expect(send(room, MOD, { users: { [MOD]: 51 } })).toBe(`reject ${r.usAdded}`);
    expect(send(room, MOD, { users: { [MOD]: 50, [BOB]: 50 } })).toBe('allow');
    expect(send(room, MOD, { users: { [MOD]: 50, [BOB]: 51 } })).toBe(`reject ${r.usAdded}`);
  });

  it('the creator: 100 before v12 (cannot demote another 100), infinite in v12', () => {
    const room = roomWith(v, { users: { [MOD]: 50, [BOB]: 100 } });
    expect(send(room, ALICE, { users: { [MOD]: 100, [BOB]: 100 } })).toBe('allow');
    expect(send(room, ALICE, { users: { [MOD]: 50, [BOB]: 0 } })).toBe(v === '12' ? 'allow' : `reject ${r.usRemoved}`);
    expect(send(room, ALICE, { users: { [MOD]: 50, [BOB]: 100 }, ban: 1_000_000 })).toBe(v === '12' ? 'allow' : `reject ${r.levels}`);
  });

  it('the sender still needs the power levels event level', () => {
    const room = roomWith(v, { events: { 'm.room.power_levels': 60 } });
    expect(send(room, MOD, { events: { 'm.room.power_levels': 60 } })).toBe(`reject ${num(v) <= 5 || v === '12' ? '8' : '7'}`);
  });
});
