import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../rooms/index.js';
import { applyStateEvents, roomSummary, stateDifference } from './room-content.js';

let ordering = 0;
function stateEvent(type: string, stateKey: string, content: Record<string, unknown>, eventId = `$${type}-${stateKey}-${ordering + 1}`): StoredEvent {
  ordering += 1;
  return {
    eventId,
    roomId: '!r:hs',
    type,
    stateKey,
    sender: '@creator:hs',
    depth: ordering,
    originServerTs: 0,
    streamOrdering: ordering,
    pdu: { type, state_key: stateKey, content } as unknown as StoredEvent['pdu'],
    outlier: false,
    rejectedReason: null,
    redactedBy: null,
  };
}
const member = (userId: string, membership: string) => stateEvent('m.room.member', userId, { membership });

describe('room summary', () => {
  it('counts members and picks up to five heroes other than the user, by stream order', () => {
    const state = [
      member('@me:hs', 'join'),
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((name) => member(`@${name}:hs`, name === 'c' ? 'invite' : 'join')),
      member('@gone:hs', 'leave'),
      stateEvent('m.room.name', '', { name: '' }),
    ];
    expect(roomSummary(state, '@me:hs')).toEqual({
      'm.heroes': ['@a:hs', '@b:hs', '@c:hs', '@d:hs', '@e:hs'],
      'm.joined_member_count': 6,
      'm.invited_member_count': 1,
    });
  });

  it('leaves the heroes out of a room with a name or a canonical alias', () => {
    const members = [member('@me:hs', 'join'), member('@a:hs', 'join')];
    const counts = { 'm.joined_member_count': 2, 'm.invited_member_count': 0 };
    expect(roomSummary([...members, stateEvent('m.room.name', '', { name: 'x' })], '@me:hs')).toEqual(counts);
    expect(roomSummary([...members, stateEvent('m.room.canonical_alias', '', { alias: '#x:hs' })], '@me:hs')).toEqual(counts);
    // An empty alias or an alias event with only alt_aliases does not name the room.
    const unnamed = [...members, stateEvent('m.room.canonical_alias', '', { alias: '', alt_aliases: ['#y:hs'] })];
    expect(roomSummary(unnamed, '@me:hs')['m.heroes']).toEqual(['@a:hs']);
  });

  it('falls back to left and banned members when nobody else is joined or invited', () => {
    const state = [member('@me:hs', 'join'), member('@left:hs', 'leave'), member('@banned:hs', 'ban')];
    expect(roomSummary(state, '@me:hs')['m.heroes']).toEqual(['@left:hs', '@banned:hs']);
  });
});

describe('state arithmetic', () => {
  it('gives the entries that are new or replaced', () => {
    const name = stateEvent('m.room.name', '', { name: 'old' });
    const topic = stateEvent('m.room.topic', '', { topic: 't' });
    const renamed = stateEvent('m.room.name', '', { name: 'new' });
    const joined = member('@x:hs', 'join');
    expect(stateDifference([name, topic], [renamed, topic, joined])).toEqual([renamed, joined]);
    expect(stateDifference([name], [name])).toEqual([]);
  });

  it('applies accepted state events in order and skips messages and rejected events', () => {
    const name = stateEvent('m.room.name', '', { name: 'old' });
    const renamed = stateEvent('m.room.name', '', { name: 'new' });
    const rejected = { ...stateEvent('m.room.name', '', { name: 'evil' }), rejectedReason: 'auth' };
    const message = { ...stateEvent('m.room.message', '', {}), stateKey: null };
    expect(applyStateEvents([name], [renamed, rejected, message])).toEqual([renamed]);
  });
});
