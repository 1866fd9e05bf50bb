import { expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import { uniqueId } from '../testing/fixtures.js';
import type { NewNotification } from '../push.js';

forEachDatabase('PushStore', (getStorage) => {
  it('stores user rules, ordered by kind then priority, and updates and deletes them', async () => {
    const { push } = getStorage();
    const user = uniqueId('@');
    await push.putUserRule(user, { kind: 'override', ruleId: 'b', priority: 1, enabled: true, actions: ['notify'], conditions: [{ kind: 'event_match', key: 'type', pattern: 'x' }], pattern: null });
    await push.putUserRule(user, { kind: 'override', ruleId: 'a', priority: 0, enabled: true, actions: [], conditions: [], pattern: null });
    await push.putUserRule(user, { kind: 'content', ruleId: 'c', priority: 0, enabled: false, actions: [{ set_tweak: 'sound', value: 'x' }], conditions: null, pattern: 'cake*' });
    let rules = await push.getUserRules(user);
    expect(rules.map((rule) => `${rule.kind}/${rule.ruleId}`)).toEqual(['content/c', 'override/a', 'override/b']);
    expect(rules[0]).toEqual({ kind: 'content', ruleId: 'c', priority: 0, enabled: false, actions: [{ set_tweak: 'sound', value: 'x' }], conditions: null, pattern: 'cake*' });
    expect(rules[2]?.conditions).toEqual([{ kind: 'event_match', key: 'type', pattern: 'x' }]);

    await push.setUserRulePriorities(user, 'override', ['b', 'a']);
    expect(await push.updateUserRule(user, 'override', 'a', { enabled: false })).toBe(true);
    expect(await push.updateUserRule(user, 'override', 'nope', { enabled: false })).toBe(false);
    expect(await push.updateUserRule(user, 'override', 'a', {})).toBe(true);
    rules = await push.getUserRules(user);
    expect(rules.filter((rule) => rule.kind === 'override').map((rule) => [rule.ruleId, rule.priority, rule.enabled])).toEqual([
      ['b', 0, true],
      ['a', 1, false],
    ]);
    expect(await push.deleteUserRule(user, 'override', 'a')).toBe(true);
    expect(await push.deleteUserRule(user, 'override', 'a')).toBe(false);
    expect(await push.getUserRules(uniqueId('@'))).toEqual([]);
  });

  it('records changes to default rules field by field', async () => {
    const { push } = getStorage();
    const user = uniqueId('@');
    await push.setDefaultOverride(user, 'override', '.m.rule.master', { enabled: true });
    await push.setDefaultOverride(user, 'override', '.m.rule.master', { actions: ['notify'] });
    await push.setDefaultOverride(user, 'underride', '.m.rule.message', { enabled: false });
    const overrides = await push.getDefaultOverrides(user);
    expect(overrides.sort((a, b) => a.ruleId.localeCompare(b.ruleId))).toEqual([
      { kind: 'override', ruleId: '.m.rule.master', enabled: true, actions: ['notify'] },
      { kind: 'underride', ruleId: '.m.rule.message', enabled: false, actions: null },
    ]);
  });

  it('tracks rule change positions per user', async () => {
    const { push } = getStorage();
    const [a, b] = [uniqueId('@'), uniqueId('@')];
    await push.setRulesChangedAt(a, 5);
    await push.setRulesChangedAt(a, 9);
    expect(await push.getRulesChangedAt([a, b])).toEqual(new Map([[a, 9]]));
  });

  it('counts notifications per room and thread within ranges, and lists them newest first', async () => {
    const { push } = getStorage();
    const user = uniqueId('@');
    const [room1, room2] = [uniqueId('!'), uniqueId('!')];
    const row = (eventNo: number, roomId: string, threadId: string, highlight: boolean): NewNotification => ({
      userId: user,
      eventId: `$e${eventNo}-${user}`,
      roomId,
      threadId,
      streamOrdering: eventNo,
      highlight,
      actions: highlight ? ['notify', { set_tweak: 'highlight' }] : ['notify'],
      ts: 1000 + eventNo,
    });
    await push.addNotifications([row(1, room1, 'main', false), row(2, room1, 'main', true), row(3, room1, '$t', false), row(4, room2, 'main', false)]);
    // Repeats are ignored.
    await push.addNotifications([row(1, room1, 'main', true)]);
    await push.addNotifications([]);

    const counts = await push.countNotifications(user, [{ roomId: room1, after: 1 }, { roomId: room2, after: 0 }]);
    const sorted = counts.sort((x, y) => `${x.roomId}${x.threadId}`.localeCompare(`${y.roomId}${y.threadId}`));
    expect(sorted).toEqual(
      [
        { roomId: room1, threadId: '$t', notifications: 1, highlights: 0 },
        { roomId: room1, threadId: 'main', notifications: 1, highlights: 1 },
        { roomId: room2, threadId: 'main', notifications: 1, highlights: 0 },
      ].sort((x, y) => `${x.roomId}${x.threadId}`.localeCompare(`${y.roomId}${y.threadId}`)),
    );
    expect(await push.countNotifications(user, [{ roomId: room1, threadId: 'main', after: 0, upTo: 1 }])).toEqual([
      { roomId: room1, threadId: 'main', notifications: 1, highlights: 0 },
    ]);
    expect(await push.countNotifications(user, [])).toEqual([]);

    const page = await push.listNotifications(user, { limit: 2, onlyHighlight: false });
    expect(page.map((n) => n.streamOrdering)).toEqual([4, 3]);
    const next = await push.listNotifications(user, { before: 3, limit: 10, onlyHighlight: false });
    expect(next.map((n) => n.streamOrdering)).toEqual([2, 1]);
    const highlights = await push.listNotifications(user, { limit: 10, onlyHighlight: true });
    expect(highlights).toEqual([
      { eventId: `$e2-${user}`, roomId: room1, threadId: 'main', streamOrdering: 2, highlight: true, actions: ['notify', { set_tweak: 'highlight' }], ts: 1002 },
    ]);
  });

  it('counts and lists summaries for a user: not their own, not where they have a row, within ranges', async () => {
    const { push } = getStorage();
    const [user, sender] = [uniqueId('@'), uniqueId('@')];
    const room = uniqueId('!');
    const summary = (eventNo: number, from: string, highlight = false) => ({
      eventId: `$s${eventNo}-${room}`,
      roomId: room,
      threadId: eventNo === 3 ? '$t' : 'main',
      streamOrdering: eventNo,
      sender: from,
      highlight,
      actions: ['notify'],
      ts: 2000 + eventNo,
    });
    for (const [eventNo, from, highlight] of [[1, sender, false], [2, sender, true], [3, sender, false], [4, user, false], [5, sender, false]] as const) {
      await push.addEventSummary(summary(eventNo, from, highlight));
    }
    await push.addEventSummary(summary(1, sender, true));
    // An exception row for event 5: the user is not notified by it.
    await push.addNotifications([{ userId: user, eventId: `$s5-${room}`, roomId: room, threadId: 'main', streamOrdering: 5, highlight: false, actions: [], ts: 1, notify: false }]);
    expect(await push.countNotifications(user, [{ roomId: room, after: 0 }])).toEqual([]);
    const counts = await push.countSummaries(user, [{ roomId: room, after: 0 }]);
    const byThread = new Map(counts.map((count) => [count.threadId, count]));
    expect(byThread.get('main')).toEqual({ roomId: room, threadId: 'main', notifications: 2, highlights: 1 });
    expect(byThread.get('$t')).toEqual({ roomId: room, threadId: '$t', notifications: 1, highlights: 0 });
    expect(await push.countSummaries(sender, [{ roomId: room, after: 1, upTo: 4 }])).toEqual([{ roomId: room, threadId: 'main', notifications: 1, highlights: 0 }]);
    const listed = await push.listSummaries(user, [{ roomId: room, after: 0, upTo: 1 }, { roomId: room, after: 2 }], { limit: 10, onlyHighlight: false });
    expect(listed.map((row) => row.streamOrdering)).toEqual([3, 1]);
    expect((await push.listSummaries(user, [{ roomId: room, after: 0 }], { limit: 10, onlyHighlight: true })).map((row) => row.streamOrdering)).toEqual([2]);
    expect(await push.deleteEventNotifications(`$s5-${room}`)).toBe(2);
    expect((await push.countSummaries(sender, [{ roomId: room, after: 4 }]))).toEqual([]);
  });

  it('records membership changes once each, oldest first, per room', async () => {
    const { push } = getStorage();
    const user = uniqueId('@');
    const [room1, room2] = [uniqueId('!'), uniqueId('!')].sort();
    await push.recordMemberChange(user, { roomId: room1, streamOrdering: 7, joined: false });
    await push.recordMemberChange(user, { roomId: room1, streamOrdering: 3, joined: true });
    await push.recordMemberChange(user, { roomId: room1, streamOrdering: 3, joined: true });
    await push.recordMemberChange(user, { roomId: room2, streamOrdering: 5, joined: true });
    expect(await push.getMemberChanges(user, [room1])).toEqual([
      { roomId: room1, streamOrdering: 3, joined: true },
      { roomId: room1, streamOrdering: 7, joined: false },
    ]);
    expect(await push.getMemberChanges(user)).toHaveLength(3);
  });

  it('moves read markers forward only, per thread', async () => {
    const { push } = getStorage();
    const user = uniqueId('@');
    const room = uniqueId('!');
    await push.advanceReadMarker(user, { roomId: room, threadId: null, streamOrdering: 10 });
    await push.advanceReadMarker(user, { roomId: room, threadId: null, streamOrdering: 4 });
    await push.advanceReadMarker(user, { roomId: room, threadId: '$t', streamOrdering: 12 });
    const markers = await push.getReadMarkers(user, [room, uniqueId('!')]);
    expect(markers.sort((a, b) => a.streamOrdering - b.streamOrdering)).toEqual([
      { roomId: room, threadId: null, streamOrdering: 10 },
      { roomId: room, threadId: '$t', streamOrdering: 12 },
    ]);
  });

  it('rolls back with the transaction', async () => {
    const storage = getStorage();
    const user = uniqueId('@');
    await expect(
      storage.transaction(async (tx) => {
        await tx.push.setRulesChangedAt(user, 1);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await storage.push.getRulesChangedAt([user])).toEqual(new Map());
  });
});
