/**
 * Push rule shapes, in the wire format of the spec (snake_case keys) because they travel verbatim between
 * clients, storage and the `m.push_rules` account data event.
 * https://spec.matrix.org/v1.19/client-server-api/#push-rules
 */
import type { JsonObject, JsonValue } from '@parley/federation';

/** The five kinds of rule, in the order they are checked. */
export const PUSH_RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const;
export type PushRuleKind = (typeof PUSH_RULE_KINDS)[number];

/** True when `value` names a rule kind. */
export function isPushRuleKind(value: string): value is PushRuleKind {
  return (PUSH_RULE_KINDS as readonly string[]).includes(value);
}

/**
 * One condition of an override/underride rule. `kind` is open: unknown kinds are kept (and never match).
 * https://spec.matrix.org/v1.19/client-server-api/#conditions-1
 */
export interface PushCondition extends JsonObject {
  kind: string;
}

/** `"notify"` or an object action such as `{ "set_tweak": "sound", "value": "default" }`. */
export type PushAction = string | JsonObject;

/** One rule as the API and the `m.push_rules` event show it. */
export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  /** override and underride rules only. */
  conditions?: PushCondition[];
  /** content rules only. */
  pattern?: string;
}

/** The `global` ruleset: every rule of every kind, each list in priority order (most important first). */
export type PushRuleset = Record<PushRuleKind, PushRule[]>;

/** A rule together with its kind, as the evaluator walks them. */
export interface KindedPushRule extends PushRule {
  kind: PushRuleKind;
}

/** An empty ruleset. */
export function emptyRuleset(): PushRuleset {
  return { override: [], content: [], room: [], sender: [], underride: [] };
}

/** Every JSON value, for action and condition parameters. */
export type { JsonValue };
