/**
 * The spec's server-default push rules, with the legacy body-matching rules `.m.rule.contains_display_name`,
 * `.m.rule.roomnotif` and `.m.rule.contains_user_name` that v1.17 removed (see {@link LEGACY_MENTION_RULES}), and how
 * a user's own rules and their changes to default rules are merged with them.
 * https://spec.matrix.org/v1.19/client-server-api/#predefined-rules
 */
import { emptyRuleset, type PushAction, type PushCondition, type PushRule, type PushRuleKind, type PushRuleset } from './types.js';

/** The `rule_id` of the rule that, enabled, silences everything; always checked before every other rule. */
export const MASTER_RULE_ID = '.m.rule.master';

const SOUND_DEFAULT: PushAction = { set_tweak: 'sound', value: 'default' };
const HIGHLIGHT: PushAction = { set_tweak: 'highlight' };

function match(key: string, pattern: string): PushCondition {
  return { kind: 'event_match', key, pattern };
}

function rule(ruleId: string, conditions: PushCondition[], actions: PushAction[], enabled = true): PushRule {
  return { rule_id: ruleId, default: true, enabled, conditions, actions };
}

/**
 * The legacy mention rules and their kinds. v1.7 deprecated them ("should only be enabled if the event does not have
 * an `m.mentions` property"), v1.17 removed them; the evaluator skips them for an event with `m.mentions`, so an
 * intentional mention is decided by `.m.rule.is_user_mention`/`.m.rule.is_room_mention` alone.
 * https://spec.matrix.org/v1.16/client-server-api/#_m_rule_contains_display_name
 */
// NOTSPEC: kept (as in v1.16 and Synapse): clients (Element, matrix-js-sdk) still look for them, and messages from
// clients that send no m.mentions (bots, bridges, older clients) still highlight the names they contain.
export const LEGACY_MENTION_RULES: Readonly<Record<string, PushRuleKind>> = {
  '.m.rule.contains_display_name': 'override',
  '.m.rule.roomnotif': 'override',
  '.m.rule.contains_user_name': 'content',
};

const NOTIFY_SOUND_HIGHLIGHT: PushAction[] = ['notify', SOUND_DEFAULT, HIGHLIGHT];

/** The localpart of a user ID (`alice` of `@alice:example.org`). */
export function localpartOf(userId: string): string {
  const colon = userId.indexOf(':');
  return userId.slice(1, colon < 0 ? undefined : colon);
}

/**
 * The default override rules for `userId`, in the spec's order.
 * https://spec.matrix.org/v1.19/client-server-api/#default-override-rules
 */
function defaultOverrideRules(userId: string): PushRule[] {
  return [
    rule(MASTER_RULE_ID, [], [], false),
    rule('.m.rule.suppress_notices', [match('content.msgtype', 'm.notice')], []),
    rule(
      '.m.rule.invite_for_me',
      [match('type', 'm.room.member'), match('content.membership', 'invite'), match('state_key', userId)],
      ['notify', SOUND_DEFAULT],
    ),
    rule('.m.rule.member_event', [match('type', 'm.room.member')], []),
    rule(
      '.m.rule.is_user_mention',
      [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }],
      NOTIFY_SOUND_HIGHLIGHT,
    ),
    rule('.m.rule.contains_display_name', [{ kind: 'contains_display_name' }], NOTIFY_SOUND_HIGHLIGHT),
    rule(
      '.m.rule.is_room_mention',
      [
        { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
        { kind: 'sender_notification_permission', key: 'room' },
      ],
      ['notify', HIGHLIGHT],
    ),
    rule(
      '.m.rule.roomnotif',
      [match('content.body', '@room'), { kind: 'sender_notification_permission', key: 'room' }],
      ['notify', HIGHLIGHT],
    ),
    rule('.m.rule.tombstone', [match('type', 'm.room.tombstone'), match('state_key', '')], ['notify', HIGHLIGHT]),
    rule('.m.rule.reaction', [match('type', 'm.reaction')], []),
    rule('.m.rule.room.server_acl', [match('type', 'm.room.server_acl'), match('state_key', '')], []),
    rule(
      '.m.rule.suppress_edits',
      [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }],
      [],
    ),
  ];
}

/**
 * The default underride rules, in the spec's order.
 * https://spec.matrix.org/v1.19/client-server-api/#default-underride-rules
 */
function defaultUnderrideRules(): PushRule[] {
  const oneToOne: PushCondition = { kind: 'room_member_count', is: '2' };
  return [
    rule('.m.rule.call', [match('type', 'm.call.invite')], ['notify', { set_tweak: 'sound', value: 'ring' }]),
    rule('.m.rule.encrypted_room_one_to_one', [oneToOne, match('type', 'm.room.encrypted')], ['notify', SOUND_DEFAULT]),
    rule('.m.rule.room_one_to_one', [oneToOne, match('type', 'm.room.message')], ['notify', SOUND_DEFAULT]),
    rule('.m.rule.message', [match('type', 'm.room.message')], ['notify']),
    rule('.m.rule.encrypted', [match('type', 'm.room.encrypted')], ['notify']),
  ];
}

/**
 * The default content rule: the owner's localpart in the body, at word boundaries.
 * https://spec.matrix.org/v1.16/client-server-api/#default-content-rules
 */
function defaultContentRules(userId: string): PushRule[] {
  return [{ rule_id: '.m.rule.contains_user_name', default: true, enabled: true, pattern: localpartOf(userId), actions: NOTIFY_SOUND_HIGHLIGHT }];
}

/**
 * The server-default ruleset for `userId` (the user's ID fills the `[the user's Matrix ID]` placeholders, its
 * localpart the pattern of `.m.rule.contains_user_name`). There are no default room or sender rules.
 */
export function defaultRuleset(userId: string): PushRuleset {
  return { ...emptyRuleset(), override: defaultOverrideRules(userId), content: defaultContentRules(userId), underride: defaultUnderrideRules() };
}

/** The server-default rule `ruleId` of `kind`, or null when there is none. */
export function findDefaultRule(userId: string, kind: PushRuleKind, ruleId: string): PushRule | null {
  return defaultRuleset(userId)[kind].find((candidate) => candidate.rule_id === ruleId) ?? null;
}

/** A user's change to one server-default rule: a new enabled flag and/or new actions. */
export interface DefaultRuleChange {
  kind: PushRuleKind;
  ruleId: string;
  enabled: boolean | null;
  actions: PushAction[] | null;
}

/** A user-defined rule with its kind, in priority order within the kind. */
export interface UserRule {
  kind: PushRuleKind;
  rule: PushRule;
}

/**
 * The user's whole ruleset: `.m.rule.master` first, then user-defined rules of each kind ahead of that
 * kind's server-default rules ("server-default rules operate at a lower priority than user-defined rules").
 * https://spec.matrix.org/v1.19/client-server-api/#predefined-rules
 */
export function mergeRuleset(
  userId: string,
  userRules: readonly UserRule[],
  defaultChanges: readonly DefaultRuleChange[],
): PushRuleset {
  const defaults = defaultRuleset(userId);
  const changes = new Map(defaultChanges.map((change) => [`${change.kind}\u0000${change.ruleId}`, change]));
  const applyChange = (kind: PushRuleKind, base: PushRule): PushRule => {
    const change = changes.get(`${kind}\u0000${base.rule_id}`);
    if (!change) return base;
    return { ...base, enabled: change.enabled ?? base.enabled, actions: change.actions ?? base.actions };
  };
  const merged = emptyRuleset();
  for (const kind of Object.keys(merged) as PushRuleKind[]) {
    const own = userRules.filter((entry) => entry.kind === kind).map((entry) => entry.rule);
    const serverDefaults = defaults[kind].map((base) => applyChange(kind, base));
    if (kind === 'override') {
      const master = serverDefaults.filter((base) => base.rule_id === MASTER_RULE_ID);
      const rest = serverDefaults.filter((base) => base.rule_id !== MASTER_RULE_ID);
      merged.override = [...master, ...own, ...rest];
    } else {
      merged[kind] = [...own, ...serverDefaults];
    }
  }
  return merged;
}
