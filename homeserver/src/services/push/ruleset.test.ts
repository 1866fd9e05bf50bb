import { describe, expect, it } from 'vitest';
import type { JsonObject } from '@parley/federation';
import { evaluatePushRules, type PushContext } from './evaluate.js';
import { defaultRuleset, mergeRuleset } from './ruleset.js';

const ALICE = '@alice:example.org';
const BOB = '@bob:example.org';

function contextWith(overrides: Partial<PushContext> = {}): PushContext {
  return { userId: ALICE, displayName: 'Alice', memberCount: 5, senderPowerLevel: 0, notificationPowerLevels: new Map(), ...overrides };
}

function event(type: string, content: JsonObject, extra: JsonObject = {}): JsonObject {
  return { type, content, sender: BOB, room_id: '!r:example.org', ...extra };
}

function evaluate(ev: JsonObject, overrides: Partial<PushContext> = {}) {
  return evaluatePushRules(defaultRuleset(ALICE), ev, contextWith(overrides));
}

describe('the default ruleset', () => {
  it('lists the spec rules in the spec order', () => {
    const rules = defaultRuleset(ALICE);
    expect(rules.override.map((rule) => rule.rule_id)).toEqual([
      '.m.rule.master',
      '.m.rule.suppress_notices',
      '.m.rule.invite_for_me',
      '.m.rule.member_event',
      '.m.rule.is_user_mention',
      '.m.rule.contains_display_name',
      '.m.rule.is_room_mention',
      '.m.rule.roomnotif',
      '.m.rule.tombstone',
      '.m.rule.reaction',
      '.m.rule.room.server_acl',
      '.m.rule.suppress_edits',
    ]);
    expect(rules.underride.map((rule) => rule.rule_id)).toEqual([
      '.m.rule.call',
      '.m.rule.encrypted_room_one_to_one',
      '.m.rule.room_one_to_one',
      '.m.rule.message',
      '.m.rule.encrypted',
    ]);
    expect(rules.content).toEqual([
      {
        rule_id: '.m.rule.contains_user_name',
        default: true,
        enabled: true,
        pattern: 'alice',
        actions: ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }],
      },
    ]);
    expect([...rules.room, ...rules.sender]).toEqual([]);
    expect(rules.override[0]).toEqual({ rule_id: '.m.rule.master', default: true, enabled: false, conditions: [], actions: [] });
    expect(rules.override.find((rule) => rule.rule_id === '.m.rule.roomnotif')).toEqual({
      rule_id: '.m.rule.roomnotif',
      default: true,
      enabled: true,
      conditions: [
        { kind: 'event_match', key: 'content.body', pattern: '@room' },
        { kind: 'sender_notification_permission', key: 'room' },
      ],
      actions: ['notify', { set_tweak: 'highlight' }],
    });
    for (const rule of [...rules.override, ...rules.content, ...rules.underride]) expect(rule.default).toBe(true);
  });

  it('fills in the user ID', () => {
    const rules = defaultRuleset(ALICE);
    expect(rules.override.find((rule) => rule.rule_id === '.m.rule.is_user_mention')?.conditions).toEqual([
      { kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: ALICE },
    ]);
    expect(rules.override.find((rule) => rule.rule_id === '.m.rule.invite_for_me')?.conditions?.[2]).toEqual({
      kind: 'event_match',
      key: 'state_key',
      pattern: ALICE,
    });
  });

  it('notifies for a group message without highlight', () => {
    expect(evaluate(event('m.room.message', { msgtype: 'm.text', body: 'hi' }))).toMatchObject({
      ruleId: '.m.rule.message',
      notify: true,
      highlight: false,
    });
  });

  it('notifies with sound in a 1:1 room, also when encrypted', () => {
    expect(evaluate(event('m.room.message', { body: 'hi' }), { memberCount: 2 })).toMatchObject({
      ruleId: '.m.rule.room_one_to_one',
      actions: ['notify', { set_tweak: 'sound', value: 'default' }],
    });
    expect(evaluate(event('m.room.encrypted', { ciphertext: 'x' }), { memberCount: 2 })?.ruleId).toBe('.m.rule.encrypted_room_one_to_one');
    expect(evaluate(event('m.room.encrypted', { ciphertext: 'x' }))?.ruleId).toBe('.m.rule.encrypted');
  });

  it('highlights a user mention, not a mention of someone else', () => {
    const mention = event('m.room.message', { body: 'hey', 'm.mentions': { user_ids: [ALICE] } });
    expect(evaluate(mention)).toMatchObject({ ruleId: '.m.rule.is_user_mention', notify: true, highlight: true });
    const other = event('m.room.message', { body: 'hey', 'm.mentions': { user_ids: ['@carol:example.org'] } });
    expect(evaluate(other)).toMatchObject({ ruleId: '.m.rule.message', highlight: false });
  });

  it('highlights a display name, localpart or @room in the body only when the event has no m.mentions', () => {
    // Legacy rules (deprecated in v1.7): for messages from clients that do not send m.mentions.
    expect(evaluate(event('m.room.message', { body: 'Alice!' }))).toMatchObject({ ruleId: '.m.rule.contains_display_name', highlight: true });
    expect(evaluate(event('m.room.message', { body: 'ping alice' }), { displayName: 'Queen' })).toMatchObject({
      ruleId: '.m.rule.contains_user_name',
      highlight: true,
    });
    expect(evaluate(event('m.room.message', { body: '@room look' }), { senderPowerLevel: 50 })).toMatchObject({ ruleId: '.m.rule.roomnotif', highlight: true });
    expect(evaluate(event('m.room.message', { body: '@room look' }), { senderPowerLevel: 0 })?.highlight).toBe(false);
    // With m.mentions (even empty) only the intentional-mention rules decide: no highlight, no double notification.
    for (const body of ['Alice!', 'ping alice', '@room look']) {
      const result = evaluate(event('m.room.message', { body, 'm.mentions': {} }), { senderPowerLevel: 50 });
      expect({ body, ruleId: result?.ruleId, highlight: result?.highlight }).toEqual({ body, ruleId: '.m.rule.message', highlight: false });
    }
    const mentioned = evaluate(event('m.room.message', { body: 'Alice!', 'm.mentions': { user_ids: [ALICE] } }));
    expect(mentioned).toMatchObject({ ruleId: '.m.rule.is_user_mention', highlight: true });
    // A disabled legacy rule stays off.
    const off = mergeRuleset(ALICE, [], [{ kind: 'override', ruleId: '.m.rule.contains_display_name', enabled: false, actions: null }]);
    expect(evaluatePushRules(off, event('m.room.message', { body: 'Queen!' }), contextWith({ displayName: 'Queen' }))?.ruleId).toBe('.m.rule.message');
  });

  it('highlights @room only from senders with enough power', () => {
    const roomMention = event('m.room.message', { body: '@room', 'm.mentions': { room: true } });
    expect(evaluate(roomMention, { senderPowerLevel: 50 })).toMatchObject({ ruleId: '.m.rule.is_room_mention', highlight: true });
    expect(evaluate(roomMention, { senderPowerLevel: 0 })).toMatchObject({ ruleId: '.m.rule.message', highlight: false });
  });

  it('suppresses notices, edits, reactions, member events and server ACLs', () => {
    for (const [ev, ruleId] of [
      [event('m.room.message', { msgtype: 'm.notice', body: 'bot' }), '.m.rule.suppress_notices'],
      [event('m.room.message', { body: '* fix', 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } }), '.m.rule.suppress_edits'],
      [event('m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: '👍' } }), '.m.rule.reaction'],
      [event('m.room.member', { membership: 'join' }, { state_key: BOB }), '.m.rule.member_event'],
      [event('m.room.server_acl', { allow: ['*'] }, { state_key: '' }), '.m.rule.room.server_acl'],
    ] as const) {
      expect(evaluate(ev)).toMatchObject({ ruleId, notify: false, actions: [] });
    }
    // A notice that mentions the user is still suppressed: suppress_notices comes first.
    expect(evaluate(event('m.room.message', { msgtype: 'm.notice', body: 'x', 'm.mentions': { user_ids: [ALICE] } }))?.notify).toBe(false);
  });

  it('notifies for invites to the user only, and for tombstones and calls', () => {
    const invite = event('m.room.member', { membership: 'invite' }, { state_key: ALICE });
    expect(evaluate(invite)).toMatchObject({ ruleId: '.m.rule.invite_for_me', notify: true });
    const otherInvite = event('m.room.member', { membership: 'invite' }, { state_key: '@carol:example.org' });
    expect(evaluate(otherInvite)).toMatchObject({ ruleId: '.m.rule.member_event', notify: false });
    expect(evaluate(event('m.room.tombstone', { replacement_room: '!n:x' }, { state_key: '' }))).toMatchObject({ highlight: true });
    // A tombstone-typed message event (no state_key) is not a tombstone.
    expect(evaluate(event('m.room.tombstone', { body: 'x' }))).toBeNull();
    expect(evaluate(event('m.call.invite', { call_id: 'c' }))?.actions).toEqual(['notify', { set_tweak: 'sound', value: 'ring' }]);
  });

  it('silences everything when the master rule is enabled', () => {
    const rules = mergeRuleset(ALICE, [], [{ kind: 'override', ruleId: '.m.rule.master', enabled: true, actions: null }]);
    const result = evaluatePushRules(rules, event('m.room.message', { body: 'x', 'm.mentions': { user_ids: [ALICE] } }), contextWith());
    expect(result).toMatchObject({ ruleId: '.m.rule.master', notify: false });
  });
});

describe('mergeRuleset', () => {
  it('puts master first, user rules before the other defaults, and applies changes to defaults', () => {
    const merged = mergeRuleset(
      ALICE,
      [
        { kind: 'override', rule: { rule_id: 'mine', default: false, enabled: true, conditions: [], actions: ['notify'] } },
        { kind: 'underride', rule: { rule_id: 'low', default: false, enabled: true, conditions: [], actions: [] } },
      ],
      [{ kind: 'underride', ruleId: '.m.rule.message', enabled: false, actions: ['notify', { set_tweak: 'sound', value: 'x' }] }],
    );
    expect(merged.override.slice(0, 3).map((rule) => rule.rule_id)).toEqual(['.m.rule.master', 'mine', '.m.rule.suppress_notices']);
    expect(merged.underride[0]?.rule_id).toBe('low');
    expect(merged.underride.find((rule) => rule.rule_id === '.m.rule.message')).toMatchObject({
      enabled: false,
      actions: ['notify', { set_tweak: 'sound', value: 'x' }],
    });
  });
});
