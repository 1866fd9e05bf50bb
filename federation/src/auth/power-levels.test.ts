import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { getRoomVersion } from '../room-versions/table.js';
import { stateKeyString } from '../events/pdu.js';
import {
  parsePowerLevelValue,
  powerLevelOf,
  readPowerLevels,
  requiredPowerLevel,
  roomCreators,
} from './power-levels.js';
import { ALICE, ALL_VERSIONS, BOB, CAROL, MOD, Room, pdu } from './test-fixtures.js';

const v1 = getRoomVersion('1');
const v5 = getRoomVersion('5');
const v6 = getRoomVersion('6');
const v9 = getRoomVersion('9');
const v10 = getRoomVersion('10');
const v11 = getRoomVersion('11');
const v12 = getRoomVersion('12');

describe('parsePowerLevelValue', () => {
  it('accepts integers in every version', () => {
    for (const id of ALL_VERSIONS) {
      const version = getRoomVersion(id);
      expect(parsePowerLevelValue(100, version)).toBe(100);
      expect(parsePowerLevelValue(-5, version)).toBe(-5);
      expect(parsePowerLevelValue(0, version)).toBe(0);
    }
  });

  it('v1-v9 accept integer strings with sign, leading zeroes and surrounding whitespace', () => {
    const cases: [string, number][] = [['50', 50], ['000100', 100], ['+100', 100], ['-100', -100], [' 100 ', 100], [' 00100 ', 100], [' +100 ', 100], ['\t-7\n', -7]];
    for (const version of [v1, v5, v6, v9]) {
      for (const [text, level] of cases) expect(parsePowerLevelValue(text, version)).toBe(level);
    }
    expect(Object.is(parsePowerLevelValue('-0', v9), 0)).toBe(true);
  });

  it('v10+ reject strings', () => {
    for (const version of [v10, v11, v12]) expect(parsePowerLevelValue('50', version)).toBeUndefined();
  });

  it('rejects strings that are not plain integers', () => {
    for (const text of ['50.5', '1e3', 'abc', '', ' ', '+-5', '--5', '0x10', '5 5']) {
      expect(parsePowerLevelValue(text, v1)).toBeUndefined();
    }
  });

  it('v1-v5 truncate floats toward zero; v6+ reject them', () => {
    expect(parsePowerLevelValue(50.57, v1)).toBe(50);
    expect(parsePowerLevelValue(5.114698e4, v5)).toBe(51146);
    expect(Object.is(parsePowerLevelValue(-0.5, v5), 0)).toBe(true);
    expect(parsePowerLevelValue(-1.5, v5)).toBe(-1);
    for (const version of [v6, v9, v10, v12]) expect(parsePowerLevelValue(50.57, version)).toBeUndefined();
  });

  it('rejects non-finite numbers and non-numbers', () => {
    for (const value of [Number.POSITIVE_INFINITY, Number.NaN]) expect(parsePowerLevelValue(value, v1)).toBeUndefined();
    for (const value of [true, null, {}, [], undefined]) expect(parsePowerLevelValue(value, v1)).toBeUndefined();
  });

  it('v10+ reject integers outside the canonical JSON range', () => {
    expect(parsePowerLevelValue(2 ** 60, v10)).toBeUndefined();
    expect(parsePowerLevelValue(Number.MAX_SAFE_INTEGER, v10)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('property: every safe integer parses to itself, and in v1-v9 so does its decimal string', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.nat(3), fc.nat(3), (n, zeroes, spaces) => {
        expect(parsePowerLevelValue(n, v12)).toBe(n);
        const padded = `${' '.repeat(spaces)}${n < 0 ? '-' : '+'}${'0'.repeat(zeroes)}${Math.abs(n)}${' '.repeat(spaces)}`;
        expect(parsePowerLevelValue(padded, v9)).toBe(n);
        expect(parsePowerLevelValue(padded, v10)).toBeUndefined();
      }),
    );
  });
});

describe('readPowerLevels', () => {
  it('fills the spec defaults when there is no power levels event', () => {
    const levels = readPowerLevels(undefined, v12);
    expect(levels).toMatchObject({ present: false, usersDefault: 0, eventsDefault: 0, stateDefault: 50, ban: 50, kick: 50, redact: 50, invite: 0 });
    expect(levels.users.size).toBe(0);
  });

  it('fills the same defaults for missing keys', () => {
    expect(readPowerLevels({}, v12)).toMatchObject({ present: true, stateDefault: 50, ban: 50, kick: 50, redact: 50, invite: 0 });
  });

  it('reads every key, stringy values only where the version allows', () => {
    const content = {
      users: { [ALICE]: '100', [BOB]: 10 }, users_default: '5', events_default: 1, state_default: '20',
      ban: 60, kick: '70', redact: 80, invite: '3', events: { 'm.room.name': '40' }, notifications: { room: 30 },
    };
    const old = readPowerLevels(content, v6);
    expect(old).toMatchObject({ usersDefault: 5, eventsDefault: 1, stateDefault: 20, ban: 60, kick: 70, redact: 80, invite: 3 });
    expect([...old.users]).toEqual([[ALICE, 100], [BOB, 10]]);
    expect(old.events.get('m.room.name')).toBe(40);
    expect(old.notifications.get('room')).toBe(30);
    const strict = readPowerLevels(content, v10);
    expect(strict).toMatchObject({ usersDefault: 0, stateDefault: 50, kick: 50, invite: 0, ban: 60 });
    expect(strict.users.has(ALICE)).toBe(false);
  });

  it('caches per content object and parsing mode', () => {
    const content = { ban: '10' };
    expect(readPowerLevels(content, v6)).toBe(readPowerLevels(content, v9));
    expect(readPowerLevels(content, v6).ban).toBe(10);
    expect(readPowerLevels(content, v10).ban).toBe(50);
  });
});

describe('roomCreators', () => {
  const create = pdu({ type: 'm.room.create', sender: ALICE, state_key: '', content: { creator: BOB, additional_creators: [CAROL, ALICE, 5] } });

  it('v1-v10: content.creator', () => {
    expect(roomCreators(create, v10)).toEqual([BOB]);
    expect(roomCreators({ sender: ALICE, content: {} }, v1)).toEqual([]);
  });

  it('v11: the sender', () => {
    expect(roomCreators(create, v11)).toEqual([ALICE]);
  });

  it('v12: the sender and additional_creators, without duplicates or non-strings', () => {
    expect(roomCreators(create, v12)).toEqual([ALICE, CAROL]);
  });
});

describe.each(ALL_VERSIONS)('powerLevelOf, room version %s', (id) => {
  const version = getRoomVersion(id);

  it('without a power levels event: creator 100 (v12: infinite), others 0', () => {
    const room = new Room(id);
    expect(powerLevelOf(ALICE, room.state, version)).toBe(version.privilegedCreators ? Number.POSITIVE_INFINITY : 100);
    expect(powerLevelOf(BOB, room.state, version)).toBe(0);
  });

  it('with a power levels event: users entry, else users_default; creators infinite only in v12', () => {
    const room = new Room(id, { additional_creators: [CAROL] }).powerLevels({ users: { [MOD]: 50, [ALICE]: 10 }, users_default: 3 });
    expect(powerLevelOf(MOD, room.state, version)).toBe(50);
    expect(powerLevelOf(BOB, room.state, version)).toBe(3);
    expect(powerLevelOf(ALICE, room.state, version)).toBe(version.privilegedCreators ? Number.POSITIVE_INFINITY : 10);
    expect(powerLevelOf(CAROL, room.state, version)).toBe(version.privilegedCreators ? Number.POSITIVE_INFINITY : 3);
  });

  it('reads stringy user levels only before v10', () => {
    const room = new Room(id).powerLevels({ users: { [MOD]: '75' } });
    expect(powerLevelOf(MOD, room.state, version)).toBe(version.integerOnlyPowerLevels ? 0 : 75);
  });

  it('works without a create event in the state', () => {
    const room = new Room(id).powerLevels({ users: { [MOD]: 50 } });
    room.state.delete(stateKeyString('m.room.create', ''));
    expect(powerLevelOf(MOD, room.state, version)).toBe(50);
    expect(powerLevelOf(ALICE, room.state, version)).toBe(0);
  });
});

describe('requiredPowerLevel', () => {
  const levels = readPowerLevels({ events: { 'm.room.name': 70, 'm.room.message': 5 }, state_default: 40, events_default: 2 }, v12);

  it('uses the events entry, else state_default for state and events_default for messages', () => {
    expect(requiredPowerLevel('m.room.name', true, levels)).toBe(70);
    expect(requiredPowerLevel('m.room.message', false, levels)).toBe(5);
    expect(requiredPowerLevel('m.room.topic', true, levels)).toBe(40);
    expect(requiredPowerLevel('m.reaction', false, levels)).toBe(2);
  });

  it('an events entry applies whether or not the event is state', () => {
    expect(requiredPowerLevel('m.room.name', false, levels)).toBe(70);
  });
});
