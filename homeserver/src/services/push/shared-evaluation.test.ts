import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '@parley/federation';
import { evaluatePushRules, type PushContext } from './evaluate.js';
import { defaultRuleset, mergeRuleset, type UserRule } from './ruleset.js';
import { evaluateForUser, planFor, rulesetTemplate, type RoomContext } from './shared-evaluation.js';
import type { PushRuleset } from './types.js';

const USERS = ['@ann:hs.example', '@ben:hs.example', '@cy:hs.example'];
const NAMES: Record<string, string> = { '@ann:hs.example': 'Ann', '@ben:hs.example': 'Ben', '@cy:hs.example': 'cy' };

/** Per user: a ruleset from the defaults plus rules some of which name the owner or use the display name. */
function rulesetOf(userId: string, extras: readonly string[]): PushRuleset {
  const rules: UserRule[] = [];
  if (extras.includes('keyword')) rules.push({ kind: 'content', rule: { rule_id: 'kw', default: false, enabled: true, actions: ['notify', { set_tweak: 'highlight' }], pattern: 'cake' } });
  if (extras.includes('name')) {
    rules.push({ kind: 'override', rule: { rule_id: 'name', default: false, enabled: true, actions: ['notify', { set_tweak: 'highlight' }], conditions: [{ kind: 'contains_display_name' }] } });
  }
  if (extras.includes('self-sender')) rules.push({ kind: 'sender', rule: { rule_id: userId, default: false, enabled: true, actions: ['notify'] } });
  if (extras.includes('mute-room')) rules.push({ kind: 'room', rule: { rule_id: '!r:hs.example', default: false, enabled: true, actions: [] } });
  const changes = extras.includes('no-mentions') ? [{ kind: 'override' as const, ruleId: '.m.rule.is_user_mention', enabled: false, actions: null }] : [];
  return rules.length === 0 && changes.length === 0 ? defaultRuleset(userId) : mergeRuleset(userId, rules, changes);
}

const eventArbitrary: fc.Arbitrary<JsonObject> = fc
  .record({
    type: fc.constantFrom('m.room.message', 'm.room.member', 'm.reaction', 'm.room.encrypted', 'm.call.invite'),
    body: fc.constantFrom('hello', 'Ann and cake', 'hi Ben', 'cy?', 'nothing', 'ann: @room', 'ben.'),
    withMentions: fc.boolean(),
    msgtype: fc.constantFrom('m.text', 'm.notice'),
    mentioned: fc.subarray(USERS),
    room: fc.boolean(),
    sender: fc.constantFrom(...USERS, '@other:hs.example'),
    stateKey: fc.constantFrom(...USERS),
  })
  .map(({ type, body, withMentions, msgtype, mentioned, room, sender, stateKey }) => {
    // Without m.mentions the legacy rules (display name, localpart, @room in the body) take part.
    const content: JsonObject = withMentions ? { body, msgtype, 'm.mentions': { user_ids: mentioned, room } } : { body, msgtype };
    if (type === 'm.room.member') content.membership = 'invite';
    const event: JsonObject = { type, content, sender, room_id: '!r:hs.example', event_id: '$e' };
    if (type === 'm.room.member') event.state_key = stateKey;
    return event;
  });

describe('shared evaluation', () => {
  it('gives every user what evaluating their own ruleset gives', () => {
    const extrasArbitrary = fc.subarray(['keyword', 'name', 'self-sender', 'mute-room', 'no-mentions']);
    fc.assert(
      fc.property(eventArbitrary, fc.array(extrasArbitrary, { minLength: 3, maxLength: 3 }), fc.integer({ min: 1, max: 5 }), (event, extras, memberCount) => {
        const room: RoomContext = { memberCount, senderPowerLevel: 50, notificationPowerLevels: new Map([['room', 50]]) };
        const rulesets = USERS.map((userId, index) => rulesetOf(userId, extras[index] ?? []));
        const plans = new Map<string, ReturnType<typeof planFor>>();
        USERS.forEach((userId, index) => {
          const ruleset = rulesets[index] as PushRuleset;
          const template = rulesetTemplate(userId, ruleset);
          // The plan of the first user of a template serves the others.
          const plan = plans.get(template.key) ?? planFor(userId, ruleset, template, event, room);
          plans.set(template.key, plan);
          const context: PushContext = { ...room, userId, displayName: NAMES[userId] ?? null };
          expect(evaluateForUser(plan, ruleset, event, context)).toEqual(evaluatePushRules(ruleset, event, context));
        });
      }),
      { numRuns: 400 },
    );
  });

  it('keys the default rulesets of different users alike and a changed one apart', () => {
    const [ann, ben] = USERS as [string, string];
    expect(rulesetTemplate(ann, defaultRuleset(ann)).key).toBe(rulesetTemplate(ben, defaultRuleset(ben)).key);
    expect(rulesetTemplate(ann, rulesetOf(ann, ['keyword'])).key).not.toBe(rulesetTemplate(ben, defaultRuleset(ben)).key);
    const template = rulesetTemplate(ann, defaultRuleset(ann));
    const overrideIds = defaultRuleset(ann).override.filter((_, index) => template.dependent.override[index]).map((rule) => rule.rule_id);
    expect(overrideIds).toEqual(['.m.rule.invite_for_me', '.m.rule.is_user_mention', '.m.rule.contains_display_name']);
    expect(template.dependent.content).toEqual([true]);
  });

  it('leaves per-user steps only for rules that may still match', () => {
    const [ann] = USERS as [string];
    const ruleset = defaultRuleset(ann);
    const room: RoomContext = { memberCount: 3, senderPowerLevel: 0, notificationPowerLevels: new Map() };
    const message = { type: 'm.room.message', content: { body: 'hi', msgtype: 'm.text' }, sender: '@x:hs.example', room_id: '!r:hs.example' };
    const plan = planFor(ann, ruleset, rulesetTemplate(ann, ruleset), message, room);
    // The invite rule needs a member event: the mention rule and the legacy name rules are left for each user.
    const stepIds = (steps: ReturnType<typeof planFor>['steps']) => steps.map((step) => ruleset[step.kind][step.index]?.rule_id);
    expect(stepIds(plan.steps)).toEqual(['.m.rule.is_user_mention', '.m.rule.contains_display_name', '.m.rule.contains_user_name']);
    expect(plan.outcome).toMatchObject({ ruleId: '.m.rule.message', notify: true, highlight: false });
    // With m.mentions the legacy rules are skipped for everyone.
    const withMentions = { ...message, content: { ...message.content, 'm.mentions': {} } };
    expect(stepIds(planFor(ann, ruleset, rulesetTemplate(ann, ruleset), withMentions, room).steps)).toEqual(['.m.rule.is_user_mention']);
  });
});
