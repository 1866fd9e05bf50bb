import { describe, it, expect } from 'vitest';
import { stateKeyString, type Pdu } from '../events/pdu.js';
import type { JsonObject } from '../json/canonical.js';
import { authEventTypesFor, checkAuthEventsSelection } from './auth-events.js';
import { authorizeEvent } from './rules.js';
import { ALICE, ALL_VERSIONS, BOB, CAROL, Room, fakeEventId, outcome } from './test-fixtures.js';

/**
 * A room's life as a server would drive it: each event gets auth events chosen by the selection algorithm,
 * passes the auth-events checks, and is authorised both against those auth events and against the full
 * state before it. The two answers must agree.
 */
function step(room: Room, event: Pdu): string {
  const selected = authEventTypesFor(event, room.version)
    .map(([type, stateKey]) => room.state.get(stateKeyString(type, stateKey)))
    .filter((found): found is Pdu => found !== undefined);
  expect(outcome(checkAuthEventsSelection(event, selected, room.version))).toBe('allow');
  const authState = new Map(selected.map((found) => [stateKeyString(found.type, found.state_key ?? ''), found]));
  // v12 auth events never hold the create event: callers add it from the room ID.
  authState.set(stateKeyString('m.room.create', ''), room.create);
  const eventId = fakeEventId();
  const byAuthEvents = outcome(authorizeEvent({ event, eventId, roomVersion: room.version, authState }));
  const byState = outcome(room.auth(event, { eventId }));
  expect(byAuthEvents).toBe(byState);
  if (byState === 'allow' && typeof event.state_key === 'string') room.put(event);
  return byState;
}

describe.each(ALL_VERSIONS)('room version %s: a room from creation to a ban', (v) => {
  it('authorises the usual room lifecycle consistently from auth events and from state', () => {
    const room = new Room(v);
    const state = (type: string, sender: string, content: JsonObject, stateKey = '') =>
      room.event({ type, sender, state_key: stateKey, content });
    const member = (target: string, membership: string, sender = target) => room.member(target, membership, {}, sender);

    const creatorJoin = room.event({
      type: 'm.room.member', sender: ALICE, state_key: ALICE, content: { membership: 'join' },
      prev_events: [room.prevRef(room.createId)] as Pdu['prev_events'],
    });
    expect(step(room, creatorJoin)).toBe('allow');
    const users: JsonObject = room.version.privilegedCreators ? {} : { [ALICE]: 100 };
    expect(step(room, state('m.room.power_levels', ALICE, { users, events: { 'm.room.tombstone': 150 } }))).toBe('allow');
    expect(step(room, state('m.room.join_rules', ALICE, { join_rule: 'invite' }))).toBe('allow');
    expect(step(room, state('m.room.history_visibility', ALICE, { history_visibility: 'shared' }))).toBe('allow');

    expect(step(room, member(BOB, 'join'))).toMatch(/^reject/);
    expect(step(room, member(BOB, 'invite', ALICE))).toBe('allow');
    expect(step(room, member(BOB, 'join'))).toBe('allow');
    expect(step(room, room.event({ type: 'm.room.message', sender: BOB, content: { body: 'hi' } }))).toBe('allow');

    expect(step(room, state('m.room.topic', BOB, { topic: 'mine' }))).toMatch(/^reject/);
    const promoted: JsonObject = room.version.privilegedCreators ? { [BOB]: 50 } : { [ALICE]: 100, [BOB]: 50 };
    expect(step(room, state('m.room.power_levels', ALICE, { users: promoted, events: { 'm.room.tombstone': 150 } }))).toBe('allow');
    expect(step(room, state('m.room.topic', BOB, { topic: 'mine' }))).toBe('allow');
    expect(step(room, state('m.room.tombstone', BOB, { replacement_room: '!new:a.example' }))).toMatch(/^reject/);
    expect(step(room, state('m.room.tombstone', ALICE, { replacement_room: '!new:a.example' }))).toBe(
      room.version.privilegedCreators ? 'allow' : 'reject ' + (Number(v) <= 5 ? '8' : '7'),
    );

    expect(step(room, member(ALICE, 'leave', BOB))).toMatch(/^reject/);
    expect(step(room, member(CAROL, 'ban', ALICE))).toBe('allow');
    expect(step(room, member(CAROL, 'join'))).toMatch(/^reject/);
    expect(step(room, member(CAROL, 'leave', BOB))).toBe('allow'); // BOB (50) is at the ban level: may unban
    expect(step(room, member(CAROL, 'ban', BOB))).toBe('allow');
    expect(step(room, member(BOB, 'ban', BOB))).toMatch(/^reject/); // no more power than himself
    expect(step(room, member(CAROL, 'leave', ALICE))).toBe('allow');
    expect(step(room, member(BOB, 'leave'))).toBe('allow');
    expect(step(room, room.event({ type: 'm.room.message', sender: BOB, content: { body: 'gone' } }))).toMatch(/^reject/);
  });
});
