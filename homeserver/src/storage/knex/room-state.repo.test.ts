/**
 * The room-state store on both dialects: state snapshots as bounded delta chains, event state references,
 * memberships and their change log, transaction IDs, aliases, redaction retention, and rollback.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import { testEvent, uniqueId } from '../testing/fixtures.js';
import { MAX_STATE_CHAIN } from './room-state.repo.js';

forEachDatabase('room-state store', (getStorage, under) => {
  describe('state groups', () => {
    it('reads a delta chain back as full state, with removals', async () => {
      const { roomState } = getStorage();
      const roomId = uniqueId('!');
      const base = await roomState.createStateGroup({
        roomId,
        prevGroup: null,
        set: [
          { type: 'm.room.create', stateKey: '', eventId: '$create' },
          { type: 'm.room.member', stateKey: '@a:x', eventId: '$a1' },
        ],
        remove: [],
      });
      const second = await roomState.createStateGroup({
        roomId,
        prevGroup: base,
        set: [{ type: 'm.room.member', stateKey: '@a:x', eventId: '$a2' }, { type: 'm.room.name', stateKey: '', eventId: '$n' }],
        remove: [],
      });
      const third = await roomState.createStateGroup({ roomId, prevGroup: second, set: [], remove: [{ type: 'm.room.name', stateKey: '' }] });
      expect(await roomState.getStateGroup(second)).toEqual([
        { type: 'm.room.create', stateKey: '', eventId: '$create' },
        { type: 'm.room.member', stateKey: '@a:x', eventId: '$a2' },
        { type: 'm.room.name', stateKey: '', eventId: '$n' },
      ]);
      expect(await roomState.getStateGroup(third)).toEqual([
        { type: 'm.room.create', stateKey: '', eventId: '$create' },
        { type: 'm.room.member', stateKey: '@a:x', eventId: '$a2' },
      ]);
      // The earlier groups are unchanged.
      expect(await roomState.getStateGroup(base)).toHaveLength(2);
    });

    it('keeps chains bounded: past the bound a group is stored in full', async () => {
      const { roomState } = getStorage();
      const roomId = uniqueId('!');
      let group = await roomState.createStateGroup({ roomId, prevGroup: null, set: [{ type: 't', stateKey: '0', eventId: '$0' }], remove: [] });
      const count = MAX_STATE_CHAIN * 2 + 3;
      for (let i = 1; i <= count; i += 1) {
        group = await roomState.createStateGroup({ roomId, prevGroup: group, set: [{ type: 't', stateKey: String(i), eventId: `$${i}` }], remove: [] });
      }
      expect(await roomState.getStateGroup(group)).toHaveLength(count + 1);
      const db = under.database().knex;
      const rows: { chain: string }[] = await db('state_groups').select('chain').where({ room_id: roomId });
      const longest = Math.max(...rows.map((row) => (JSON.parse(row.chain) as number[]).length));
      expect(longest).toBeLessThanOrEqual(MAX_STATE_CHAIN);
      // Storage stays near one row per change plus a full copy per chain.
      const [{ entries }] = (await db('state_group_entries')
        .join('state_groups', 'state_groups.id', 'state_group_entries.group_id')
        .where('state_groups.room_id', roomId)
        .count({ entries: '*' })) as [{ entries: number | string }];
      expect(Number(entries)).toBeLessThan((count + 1) * 4);
    });

    it('any sequence of changes reads back as the same state as a map would give', async () => {
      const { roomState } = getStorage();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.boolean()), { minLength: 1, maxLength: 60 }),
          async (changes) => {
            const roomId = uniqueId('!');
            const expected = new Map<string, string>();
            let group: number | null = null;
            for (const [index, [key, remove]] of changes.entries()) {
              const change = remove ? { set: [], remove: [{ type: 't', stateKey: key }] } : { set: [{ type: 't', stateKey: key, eventId: `$${index}` }], remove: [] };
              if (remove) expected.delete(key);
              else expected.set(key, `$${index}`);
              group = await roomState.createStateGroup({ roomId, prevGroup: group, ...change });
            }
            const read = await roomState.getStateGroup(group as number);
            expect(new Map(read.map((entry) => [entry.stateKey, entry.eventId]))).toEqual(expected);
          },
        ),
        { numRuns: 15 },
      );
    });
  });

  it('records the state before and after events', async () => {
    const { roomState } = getStorage();
    const roomId = uniqueId('!');
    const group = await roomState.createStateGroup({ roomId, prevGroup: null, set: [], remove: [] });
    await roomState.setEventState([{ eventId: '$x1', roomId, beforeGroup: group, afterGroup: group, replacesEventId: '$old' }]);
    const refs = await roomState.getEventState(['$x1', '$missing']);
    expect(refs.get('$x1')).toEqual({ eventId: '$x1', roomId, beforeGroup: group, afterGroup: group, replacesEventId: '$old' });
    expect(refs.has('$missing')).toBe(false);
  });

  it('memberships: current per room and user, change log by position, forget', async () => {
    const { roomState } = getStorage();
    const roomId = uniqueId('!');
    const userId = uniqueId('@');
    const change = (membership: string, previous: string | null, streamOrdering: number) => ({
      roomId, userId, membership, previous, eventId: `$m${streamOrdering}`, sender: userId, streamOrdering, displayname: 'D', avatarUrl: null,
    });
    await roomState.applyMembershipChanges([change('join', null, 10)]);
    await roomState.applyMembershipChanges([change('leave', 'join', 20)]);
    expect(await roomState.getMembership(roomId, userId)).toMatchObject({ membership: 'leave', streamOrdering: 20, forgotten: false });
    expect((await roomState.getMembershipChanges(userId, 10, 20)).map((c) => c.membership)).toEqual(['leave']);
    expect((await roomState.getMembershipChanges(userId, 0, 100)).map((c) => c.membership)).toEqual(['join', 'leave']);
    expect(await roomState.hasMembershipAfter(roomId, userId, 'join', 5)).toBe(true);
    expect(await roomState.hasMembershipAfter(roomId, userId, 'join', 10)).toBe(false);
    await roomState.forgetRoom(roomId, userId);
    expect(await roomState.getMembershipsOfUser(userId)).toEqual([]);
    expect(await roomState.getMembershipsOfUser(userId, { includeForgotten: true })).toHaveLength(1);
  });

  it('transaction IDs and aliases are stored once', async () => {
    const { roomState } = getStorage();
    const scope = `d:${uniqueId('@')}:DEV`;
    expect(await roomState.saveTxn({ scope, txnId: 't', eventId: '$e1', roomId: '!r:x', createdTs: 1 })).toBe(true);
    expect(await roomState.saveTxn({ scope, txnId: 't', eventId: '$e2', roomId: '!r:x', createdTs: 2 })).toBe(false);
    expect(await roomState.getTxn(scope, 't')).toEqual({ scope, txnId: 't', eventId: '$e1', roomId: '!r:x' });
    expect((await roomState.getTxnsForEvents(['$e1'])).get('$e1')?.txnId).toBe('t');

    const alias = `#${uniqueId('$').slice(1)}:x`;
    expect(await roomState.createAlias(alias, '!r:x', '@a:x', 1)).toBe(true);
    expect(await roomState.createAlias(alias, '!other:x', '@b:x', 2)).toBe(false);
    expect(await roomState.getAliasRoom(alias)).toBe('!r:x');
    expect(await roomState.deleteAlias(alias)).toBe(true);
    expect(await roomState.getAliasRoom(alias)).toBeNull();
  });

  it('redaction retention lists what expired', async () => {
    const { roomState } = getStorage();
    const eventId = uniqueId('$');
    await roomState.retainRedacted(eventId, '$r', 1000);
    expect(await roomState.expiredRedactions(999, 10)).not.toContain(eventId);
    expect(await roomState.expiredRedactions(1000, 1000)).toContain(eventId);
    await roomState.clearRedactionRetention([eventId]);
    expect(await roomState.expiredRedactions(1000, 1000)).not.toContain(eventId);
  });

  it('a failed transaction leaves no partial rows', async () => {
    const storage = getStorage();
    const roomId = uniqueId('!');
    const event = testEvent({ roomId });
    const before = await storage.streams.current('events');
    await expect(
      storage.transaction(async (tx) => {
        await tx.events.persist(event);
        const group = await tx.roomState.createStateGroup({ roomId, prevGroup: null, set: [{ type: 't', stateKey: '', eventId: event.eventId }], remove: [] });
        await tx.roomState.setEventState([{ eventId: event.eventId, roomId, beforeGroup: group, afterGroup: group, replacesEventId: null }]);
        await tx.roomState.applyMembershipChanges([
          { roomId, userId: '@a:x', membership: 'join', previous: null, eventId: event.eventId, sender: '@a:x', streamOrdering: 1, displayname: null, avatarUrl: null },
        ]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await storage.events.haveEvents([event.eventId])).toEqual(new Set());
    expect((await storage.roomState.getEventState([event.eventId])).size).toBe(0);
    expect(await storage.roomState.getMembership(roomId, '@a:x')).toBeNull();
    const [{ n }] = (await under.database().knex('state_groups').where({ room_id: roomId }).count({ n: '*' })) as [{ n: number | string }];
    expect(Number(n)).toBe(0);
    expect(await storage.streams.current('events')).toBe(before);
  });

  it('reads a room timeline by stream position, skipping rejected events and outliers', async () => {
    const { events } = getStorage();
    const roomId = uniqueId('!');
    const accepted = [];
    for (let i = 0; i < 4; i += 1) {
      const event = testEvent({ roomId });
      accepted.push({ ...event, ...(await events.persist(event)) });
    }
    await events.persist(testEvent({ roomId, rejectedReason: 'nope' }));
    await events.persist(testEvent({ roomId, outlier: true }));
    const positions = accepted.map((event) => event.streamOrdering);
    const backward = await events.getRoomEventsByStream(roomId, { direction: 'backward', limit: 10 });
    expect(backward.map((event) => event.eventId)).toEqual(accepted.map((event) => event.eventId).reverse());
    const window = await events.getRoomEventsByStream(roomId, { after: positions[0], upTo: positions[2], direction: 'forward', limit: 10 });
    expect(window.map((event) => event.streamOrdering)).toEqual([positions[1], positions[2]]);
    expect((await events.getLastEventAtOrBefore(roomId, (positions[3] as number) + 100))?.eventId).toBe(accepted[3]?.eventId);
    expect(await events.getLastEventAtOrBefore(roomId, (positions[0] as number) - 1)).toBeNull();
  });
});
