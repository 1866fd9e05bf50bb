import { describe, it, expect } from 'vitest';
import { getRoomVersion } from '../room-versions/table.js';
import { stateKeyString, type Pdu } from '../events/pdu.js';
import { authEventTypesFor, checkAuthEventsSelection } from './auth-events.js';
import { ALICE, ALL_VERSIONS, BOB, CAROL, MOD, outcome, standardRoom, type Room } from './test-fixtures.js';

const key = (tuples: readonly (readonly [string, string])[]) => tuples.map(([type, stateKey]) => `${type}|${stateKey}`).sort();

describe.each(ALL_VERSIONS)('authEventTypesFor, room version %s', (v) => {
  const version = getRoomVersion(v);
  const base = version.roomIdIsCreateEventHash ? [] : ['m.room.create|'];
  const member = (sender: string, target: string, content: Record<string, unknown>) =>
    authEventTypesFor({ type: 'm.room.member', sender, state_key: target, content: content as never }, version);

  it('selects nothing for the create event', () => {
    expect(authEventTypesFor({ type: 'm.room.create', sender: ALICE, state_key: '', content: {} }, version)).toEqual([]);
  });

  it('selects the create event (not in v12), power levels and the sender’s membership', () => {
    const selected = authEventTypesFor({ type: 'm.room.message', sender: BOB, content: {} }, version);
    expect(key(selected)).toEqual([...base, 'm.room.power_levels|', `m.room.member|${BOB}`].sort());
  });

  it('adds the join rules for join, invite and knock, once for a self-membership', () => {
    for (const membership of ['join', 'knock']) {
      expect(key(member(CAROL, CAROL, { membership }))).toEqual(
        [...base, 'm.room.power_levels|', `m.room.member|${CAROL}`, 'm.room.join_rules|'].sort(),
      );
    }
    expect(key(member(BOB, CAROL, { membership: 'invite' }))).toEqual(
      [...base, 'm.room.power_levels|', `m.room.member|${BOB}`, `m.room.member|${CAROL}`, 'm.room.join_rules|'].sort(),
    );
  });

  it('leaves the join rules out for leave and ban', () => {
    for (const membership of ['leave', 'ban']) {
      expect(key(member(MOD, BOB, { membership }))).toEqual(
        [...base, 'm.room.power_levels|', `m.room.member|${MOD}`, `m.room.member|${BOB}`].sort(),
      );
    }
  });

  it('adds the third-party invite named by signed.token', () => {
    const selected = member(BOB, CAROL, { membership: 'invite', third_party_invite: { signed: { mxid: CAROL, token: 'tok' } } });
    expect(key(selected)).toContain('m.room.third_party_invite|tok');
    const unsigned = member(BOB, CAROL, { membership: 'invite', third_party_invite: { display_name: 'c' } });
    expect(key(unsigned).some((entry) => entry.startsWith('m.room.third_party_invite'))).toBe(false);
  });

  it('adds the authorising user’s membership for restricted joins from v8', () => {
    const join = member(CAROL, CAROL, { membership: 'join', join_authorised_via_users_server: MOD });
    expect(key(join).includes(`m.room.member|${MOD}`)).toBe(version.restrictedJoinsSupported);
    const leave = member(CAROL, CAROL, { membership: 'leave', join_authorised_via_users_server: MOD });
    expect(key(leave).includes(`m.room.member|${MOD}`)).toBe(false);
  });
});

describe.each(ALL_VERSIONS)('checkAuthEventsSelection, room version %s', (v) => {
  const v12 = v === '12';
  const rule = (sub: number) => (v12 ? `3.${sub}` : `2.${sub}`);
  const at = (room: Room, type: string, stateKey = '') => room.state.get(stateKeyString(type, stateKey)) as Pdu;
  const selection = (room: Room) => {
    const entries = [at(room, 'm.room.power_levels'), at(room, 'm.room.member', BOB)];
    return v12 ? entries : [at(room, 'm.room.create'), ...entries];
  };
  const message = (room: Room) => room.event({ type: 'm.room.message', sender: BOB });

  it('allows the selected auth events, and subsets of them', () => {
    const room = standardRoom(v);
    expect(outcome(checkAuthEventsSelection(message(room), selection(room), room.version))).toBe('allow');
    const createOnly = v12 ? [] : [at(room, 'm.room.create')];
    expect(outcome(checkAuthEventsSelection(message(room), createOnly, room.version))).toBe('allow');
  });

  it('allows anything for the create event', () => {
    const room = standardRoom(v);
    expect(outcome(checkAuthEventsSelection(room.create, selection(room), room.version))).toBe('allow');
  });

  it('.1 rejects two entries for one (type, state_key), before checking the selection', () => {
    const room = standardRoom(v);
    const extraPowerLevels = room.event({ type: 'm.room.power_levels', sender: ALICE, state_key: '', content: {} });
    const events = [at(room, 'm.room.join_rules'), ...selection(room), extraPowerLevels];
    expect(outcome(checkAuthEventsSelection(message(room), events, room.version))).toBe(`reject ${rule(1)}`);
  });

  it('.2 rejects entries the selection algorithm does not choose', () => {
    const room = standardRoom(v);
    const withJoinRules = [...selection(room), at(room, 'm.room.join_rules')];
    expect(outcome(checkAuthEventsSelection(message(room), withJoinRules, room.version))).toBe(`reject ${rule(2)}`);
    const withOtherMember = [...selection(room), at(room, 'm.room.member', MOD)];
    expect(outcome(checkAuthEventsSelection(message(room), withOtherMember, room.version))).toBe(`reject ${rule(2)}`);
    const withMessage = [...selection(room), message(room)];
    expect(outcome(checkAuthEventsSelection(message(room), withMessage, room.version))).toBe(`reject ${rule(2)}`);
  });

  it('.2 (v12) rejects the create event among the auth events', () => {
    const room = standardRoom(v);
    const events = [at(room, 'm.room.create'), ...selection(room).filter((event) => event.type !== 'm.room.create')];
    expect(outcome(checkAuthEventsSelection(message(room), events, room.version))).toBe(v12 ? 'reject 3.2' : 'allow');
  });

  it('.3 rejects rejected auth events', () => {
    const room = standardRoom(v);
    const powerLevels = at(room, 'm.room.power_levels');
    const result = checkAuthEventsSelection(message(room), selection(room), room.version, { isRejected: (event) => event === powerLevels });
    expect(outcome(result)).toBe(`reject ${rule(3)}`);
  });

  it('.4 (v1-v11) requires the create event', () => {
    const room = standardRoom(v);
    const events = selection(room).filter((event) => event.type !== 'm.room.create');
    expect(outcome(checkAuthEventsSelection(message(room), events, room.version))).toBe(v12 ? 'allow' : 'reject 2.4');
  });

  it('rejects auth events from another room (2.5; v12 3.4)', () => {
    const room = standardRoom(v);
    const events = selection(room).map((event) => (event.type === 'm.room.power_levels' ? { ...event, room_id: '!elsewhere:b.example' } : event));
    expect(outcome(checkAuthEventsSelection(message(room), events, room.version))).toBe(v12 ? 'reject 3.4' : 'reject 2.5');
  });

  it('accepts the full selection for a restricted join with a third-party-free invite path', () => {
    const room = standardRoom(v).joinRule('restricted');
    const join = room.member(CAROL, 'join', { join_authorised_via_users_server: MOD });
    const events = [...selection(room).filter((event) => event.type !== 'm.room.member'), at(room, 'm.room.join_rules'), at(room, 'm.room.member', MOD)];
    const expected = room.version.restrictedJoinsSupported ? 'allow' : `reject ${rule(2)}`;
    expect(outcome(checkAuthEventsSelection(join, events, room.version))).toBe(expected);
  });
});
