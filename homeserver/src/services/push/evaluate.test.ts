import { describe, expect, it } from 'vitest';
import type { JsonObject } from '@parley/federation';
import { actionsHighlight, conditionMatches, evaluatePushRules, stripHistoricalActions, type PushContext } from './evaluate.js';
import { compileGlob, globMatchesWhole, globMatchesWords } from './glob.js';
import { parseDottedPath } from '@parley/federation';
import { lookupPath } from './paths.js';
import { emptyRuleset, type PushCondition } from './types.js';

const context: PushContext = {
  userId: '@alice:example.org',
  displayName: 'Alice Liddell',
  memberCount: 5,
  senderPowerLevel: 50,
  notificationPowerLevels: new Map(),
};

function message(content: JsonObject, extra: JsonObject = {}): JsonObject {
  return { type: 'm.room.message', sender: '@bob:example.org', room_id: '!room:example.org', content, ...extra };
}

function matches(condition: PushCondition, event: JsonObject, ctx: Partial<PushContext> = {}): boolean {
  return conditionMatches(condition, event, { ...context, ...ctx });
}

describe('dot-separated paths', () => {
  it.each([
    ['content.body', ['content', 'body']],
    ['content.m\\.relates_to.rel_type', ['content', 'm.relates_to', 'rel_type']],
    ['content.m\\\\foo', ['content', 'm\\foo']],
    ['content.m\\xfoo', ['content', 'm\\xfoo']],
    ['a..b', ['a', '', 'b']],
    ['trailing\\', ['trailing\\']],
  ])('parses %s', (path, parts) => {
    expect(parseDottedPath(path)).toEqual(parts);
  });

  it('never indexes into arrays and ignores inherited keys', () => {
    const event = { content: { list: ['a'], nested: { x: 1 } } };
    expect(lookupPath(event, 'content.list.0')).toBeUndefined();
    expect(lookupPath(event, 'content.nested.x')).toBe(1);
    expect(lookupPath(event, 'content.toString')).toBeUndefined();
    expect(lookupPath(event, 'content.missing.x')).toBeUndefined();
  });
});

describe('glob', () => {
  it.each([
    ['lunc?*', 'Lunch plans', true],
    ['lunc?*', 'LUNCH', true],
    ['lunc?*', ' lunch', false],
    ['lunc?*', 'lunc', false],
    ['', '', true],
    ['', 'x', false],
    ['*', '', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['???', 'äöü', true],
    ['m.notice', 'm.notice', true],
    ['m.notice', 'mXnotice', false],
  ])('whole: %j vs %j -> %s', (pattern, value, expected) => {
    expect(globMatchesWhole(compileGlob(pattern), value)).toBe(expected);
  });

  it.each([
    ['ex*ple', 'An example event.', true],
    ['ex*ple', 'exple', true],
    ['ex*ple', 'An exciting triple-whammy', true],
    ['ex*ple', 'examples', false],
    ['ex*ple', 'Xexample', false],
    ['cake', 'I like cake_', false],
    ['cake', 'cake!', true],
    ['cake', 'CAKE', true],
    ['@room', 'hey @room', true],
    ['@room', 'hey@room', false],
  ])('words: %j in %j -> %s', (pattern, value, expected) => {
    expect(globMatchesWords(compileGlob(pattern), value)).toBe(expected);
  });

  it('stays fast on a pathological pattern', () => {
    const started = performance.now();
    const tokens = compileGlob('*a*a*a*a*a*a*a*a*a*a*b');
    expect(globMatchesWords(tokens, 'a'.repeat(20_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('event_match', () => {
  const topic = { type: 'm.room.topic', state_key: '', content: { topic: 'Lunch plans' } };
  it('matches globs case-insensitively on the whole value', () => {
    expect(matches({ kind: 'event_match', key: 'content.topic', pattern: 'lunc?*' }, topic)).toBe(true);
    expect(matches({ kind: 'event_match', key: 'content.topic', pattern: 'lunch' }, topic)).toBe(false);
  });
  it('never matches a missing or non-string value, even with *', () => {
    expect(matches({ kind: 'event_match', key: 'content.nope', pattern: '*' }, topic)).toBe(false);
    expect(matches({ kind: 'event_match', key: 'content', pattern: '*' }, topic)).toBe(false);
    expect(matches({ kind: 'event_match', key: 'content.n', pattern: '*' }, message({ n: 5 }))).toBe(false);
  });
  it('matches content.body at word boundaries only', () => {
    expect(matches({ kind: 'event_match', key: 'content.body', pattern: 'cake' }, message({ body: 'I like cake.' }))).toBe(true);
    expect(matches({ kind: 'event_match', key: 'content.body', pattern: 'cake' }, message({ body: 'cupcakes' }))).toBe(false);
  });
  it('honours escaped dots in keys', () => {
    const event = message({ 'm.relates_to': { rel_type: 'm.thread' } });
    expect(matches({ kind: 'event_match', key: 'content.m\\.relates_to.rel_type', pattern: 'm.thread' }, event)).toBe(true);
    expect(matches({ kind: 'event_match', key: 'content.m.relates_to.rel_type', pattern: 'm.thread' }, event)).toBe(false);
  });
  it('does not match without key or pattern', () => {
    expect(matches({ kind: 'event_match', key: 'type' }, message({}))).toBe(false);
  });
});

describe('event_property_is', () => {
  const create = { type: 'm.room.create', content: { 'm.federate': true, n: 1, s: 'x', z: null, f: 1.5 } };
  it.each([
    ['content.m\\.federate', true, true],
    ['content.m\\.federate', 'true', false],
    ['content.m\\.federate', 1, false],
    ['content.n', 1, true],
    ['content.n', true, false],
    ['content.s', 'x', true],
    ['content.s', 'X', false],
    ['content.z', null, true],
    ['content.missing', null, false],
    ['content.f', 1.5, false],
  ])('%s is %j -> %s', (key, value, expected) => {
    expect(matches({ kind: 'event_property_is', key, value }, create)).toBe(expected);
  });
  it('never matches a compound value', () => {
    expect(matches({ kind: 'event_property_is', key: 'content', value: {} }, create)).toBe(false);
  });
});

describe('event_property_contains', () => {
  const aliases = { type: 'm.room.canonical_alias', content: { alt_aliases: ['#a:x', '#myroom:example.com', 3, null, ['#n:x']], alias: '#a:x' } };
  it.each([
    ['#myroom:example.com', true],
    [':example.com', false],
    [3, true],
    [null, true],
    ['#n:x', false],
  ])('contains %j -> %s', (value, expected) => {
    expect(matches({ kind: 'event_property_contains', key: 'content.alt_aliases', value }, aliases)).toBe(expected);
  });
  it('never matches a non-array property', () => {
    expect(matches({ kind: 'event_property_contains', key: 'content.alias', value: '#a:x' }, aliases)).toBe(false);
  });
});

describe('contains_display_name', () => {
  it.each([
    ['Hello Alice Liddell!', true],
    ['hello alice liddell', true],
    ['Hello Alice', false],
    ['XAlice Liddell', false],
  ])('%j -> %s', (body, expected) => {
    expect(matches({ kind: 'contains_display_name' }, message({ body }))).toBe(expected);
  });
  it('never matches without a display name or with wildcard characters taken literally', () => {
    expect(matches({ kind: 'contains_display_name' }, message({ body: 'anything' }), { displayName: null })).toBe(false);
    expect(matches({ kind: 'contains_display_name' }, message({ body: 'anything' }), { displayName: '' })).toBe(false);
    expect(matches({ kind: 'contains_display_name' }, message({ body: 'hi bob' }), { displayName: '*' })).toBe(false);
    expect(matches({ kind: 'contains_display_name' }, message({ body: 'hi *' }), { displayName: '*' })).toBe(true);
  });
});

describe('room_member_count', () => {
  it.each([
    ['2', 2, true],
    ['==2', 2, true],
    ['2', 3, false],
    ['<3', 2, true],
    ['<2', 2, false],
    ['>2', 3, true],
    ['>2', 2, false],
    ['<=2', 2, true],
    ['>=3', 2, false],
    ['>=2', 2, true],
    ['=2', 2, false],
    ['two', 2, false],
    [' 2', 2, false],
  ])('is %j with %i members -> %s', (is, memberCount, expected) => {
    expect(matches({ kind: 'room_member_count', is }, message({}), { memberCount })).toBe(expected);
  });
});

describe('sender_notification_permission', () => {
  const condition = { kind: 'sender_notification_permission', key: 'room' };
  it('defaults the room key to 50', () => {
    expect(matches(condition, message({}), { senderPowerLevel: 50 })).toBe(true);
    expect(matches(condition, message({}), { senderPowerLevel: 49 })).toBe(false);
  });
  it('reads notifications levels and accepts infinite creators', () => {
    const levels = new Map([['room', 100]]);
    expect(matches(condition, message({}), { senderPowerLevel: 99, notificationPowerLevels: levels })).toBe(false);
    expect(matches(condition, message({}), { senderPowerLevel: Infinity, notificationPowerLevels: levels })).toBe(true);
  });
  it('needs a key', () => {
    expect(matches({ kind: 'sender_notification_permission' }, message({}), { senderPowerLevel: 100 })).toBe(false);
  });
});

it('unknown condition kinds never match', () => {
  expect(matches({ kind: 'org.example.always' }, message({}))).toBe(false);
});

describe('actions', () => {
  it('strips dont_notify and coalesce', () => {
    expect(stripHistoricalActions(['dont_notify', 'notify', 'coalesce'])).toEqual(['notify']);
  });
  it.each([
    [[{ set_tweak: 'highlight' }], true],
    [[{ set_tweak: 'highlight', value: true }], true],
    [[{ set_tweak: 'highlight', value: false }], false],
    [[{ set_tweak: 'highlight', value: 'yes' }], false],
    [[{ set_tweak: 'sound', value: 'default' }], false],
    [[], false],
  ])('highlight of %j -> %s', (actions, expected) => {
    expect(actionsHighlight(actions)).toBe(expected);
  });
});

describe('evaluatePushRules ordering', () => {
  it('takes the first enabled rule in kind order, skipping disabled rules', () => {
    const ruleset = emptyRuleset();
    ruleset.override.push({ rule_id: 'off', default: false, enabled: false, conditions: [], actions: [] });
    ruleset.content.push({ rule_id: 'cake', default: false, enabled: true, pattern: 'cake', actions: ['notify', { set_tweak: 'highlight' }] });
    ruleset.room.push({ rule_id: '!room:example.org', default: false, enabled: true, actions: [] });
    const result = evaluatePushRules(ruleset, message({ body: 'cake time' }), context);
    expect(result).toMatchObject({ kind: 'content', ruleId: 'cake', notify: true, highlight: true });
    expect(evaluatePushRules(ruleset, message({ body: 'tea' }), context)).toMatchObject({ kind: 'room', notify: false });
    expect(evaluatePushRules(emptyRuleset(), message({ body: 'x' }), context)).toBeNull();
  });
  it('matches sender rules by sender and treats ["dont_notify"] as no actions', () => {
    const ruleset = emptyRuleset();
    ruleset.sender.push({ rule_id: '@bob:example.org', default: false, enabled: true, actions: ['dont_notify'] });
    expect(evaluatePushRules(ruleset, message({}), context)).toEqual({
      kind: 'sender',
      ruleId: '@bob:example.org',
      actions: [],
      notify: false,
      highlight: false,
    });
  });
});
