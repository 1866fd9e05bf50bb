/**
 * Push rules (default ruleset, CRUD), their evaluation, notification counts and /notifications.
 * This file is the domain's only public door: http/ and other domains import from here.
 *
 * How other domains use it:
 * - stream readers: registry.ts registers {@link PushService.eventReader}, the durable reader that stores
 *   notifications; rooms runs the readers before the events stream is published, so the counts appear in the same
 *   /sync as the event, and a crash loses none (the reader carries on from its stored position).
 * - sync: {@link PushService.getUnreadCounts} for `unread_notifications`/`unread_thread_notifications`, and
 *   {@link PushService.getPushRulesChange} for the `m.push_rules` global account data event (its position is on
 *   the `account_data` stream).
 * - profile: `getIgnoredUsers` in {@link PushSources}: ignored senders never notify.
 * - rooms: a redaction that applied removes its target's notifications (they stop counting and leave /notifications).
 * - receipts: either passes `getReadReceipts` in {@link PushSources} (pulled when counting) or calls
 *   {@link PushService.markRead} on each new `m.read`/`m.read.private` receipt. Both may be wired.
 * https://spec.matrix.org/v1.19/client-server-api/#push-notifications
 */
import type { JsonValue } from '@parley/federation';
import type { Storage, StoredEvent } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import type { ReaderEvent, StreamReaderHandler } from '../stream-readers/index.js';
import { createRulesetCache } from './cache.js';
import { createNotificationCounter, type PersistedEventContext, type ReadReceiptPosition, type RoomUnreadCounts } from './counts.js';
import { basicClientEvent, listNotifications, type EventFormatter, type NotificationsPage, type NotificationsQuery } from './list.js';
import { checkScopeAndKind, createRuleChanges, findRule, loadRuleset, type PushRuleInput } from './rules.js';
import type { PushRule, PushRuleset } from './types.js';

export type { NotificationCounts, PersistedEventContext, ReadReceiptPosition, RoomUnreadCounts } from './counts.js';
export type { NotificationEntry, NotificationsPage, NotificationsQuery } from './list.js';
export type { PushRuleInput } from './rules.js';
export type { PushAction, PushCondition, PushRule, PushRuleKind, PushRuleset } from './types.js';
export { evaluatePushRules, type PushContext, type PushEvaluation } from './evaluate.js';
export { defaultRuleset } from './ruleset.js';

/** The `m.push_rules` global account data event. https://spec.matrix.org/v1.19/client-server-api/#mpush_rules */
export interface PushRulesEvent {
  type: 'm.push_rules';
  content: { global: PushRuleset };
}

/** What push reads from other domains; wired in services/registry.ts. */
export interface PushSources {
  /** The user's latest `m.read` and `m.read.private` receipts (threaded or not) in the rooms. */
  getReadReceipts?(userId: string, roomIds: readonly string[]): Promise<readonly ReadReceiptPosition[]>;
  /** The users a user ignores (profile's `getIgnoredUsers`): their events never notify that user. */
  getIgnoredUsers?(userId: string, via: Storage): Promise<ReadonlySet<string>>;
  /** Formats events for /notifications (rooms' `toClientEvents`). Default: a plain client event. */
  formatEvents?: EventFormatter;
}

export interface PushService {
  /** GET /pushrules/: `{ global: ruleset }`. */
  getRulesets(userId: string): Promise<{ global: PushRuleset }>;
  /** GET /pushrules/{scope}/: the ruleset of a scope (only `global`; 400 otherwise). */
  getRuleset(userId: string, scope: string): Promise<PushRuleset>;
  /** GET /pushrules/{scope}/{kind}/: the rules of one kind, in priority order (400 for an unknown scope or kind). */
  getRulesOfKind(userId: string, scope: string, kind: string): Promise<PushRule[]>;
  /** GET /pushrules/{scope}/{kind}/{ruleId}: 400 for an unknown scope or kind, 404 `M_NOT_FOUND` for an unknown rule. */
  getRule(userId: string, scope: string, kind: string, ruleId: string): Promise<PushRule>;
  /** PUT /pushrules/{scope}/{kind}/{ruleId}: adds or replaces a user-defined rule. */
  putRule(userId: string, scope: string, kind: string, ruleId: string, input: PushRuleInput): Promise<void>;
  /** DELETE /pushrules/{scope}/{kind}/{ruleId}: server-default rules cannot be deleted (400). */
  deleteRule(userId: string, scope: string, kind: string, ruleId: string): Promise<void>;
  /** PUT .../enabled. */
  setRuleEnabled(userId: string, scope: string, kind: string, ruleId: string, enabled: boolean): Promise<void>;
  /** PUT .../actions (also for server-default rules). */
  setRuleActions(userId: string, scope: string, kind: string, ruleId: string, actions: JsonValue[]): Promise<void>;

  /** The `m.push_rules` account data event with the user's current rules. */
  getPushRulesAccountData(userId: string): Promise<PushRulesEvent>;
  /**
   * For sync's account_data section: the `m.push_rules` event when the user's rules changed at an `account_data`
   * position in `(from, to]`, or always on an initial sync (`options.initial`); null otherwise.
   */
  getPushRulesChange(userId: string, from: number, to: number, options: { initial: boolean }): Promise<PushRulesEvent | null>;

  /**
   * The rooms' listener for persisted events: evaluates rules once per distinct ruleset and stores a summary plus
   * the rows that differ (writes do not grow with the room). With `context.stateGroup` (the snapshot after the
   * event) room facts are cached by snapshot; without it the room's current state is read. With
   * `context.storage` (a transaction of the caller's) everything goes through it and failures are thrown;
   * without it failures are logged only.
   */
  onEventPersisted(event: StoredEvent, context: PersistedEventContext): Promise<void>;
  /**
   * Stores an event's notification rows in the event's own transaction `tx` (the pipeline's derived rows; see
   * spec/pipeline.md); failures are thrown, so the event and its counts commit together or not at all.
   */
  writeEventRows(tx: Storage, event: StoredEvent, context: { roomVersion: string; stateGroup: number }): Promise<void>;
  /** The durable `events` stream reader of the same rows: catches up at startup on what an older version left. */
  readonly eventReader: StreamReaderHandler<readonly ReaderEvent[]>;
  /** Moves the user's read position in a room or thread (`threadId` null: unthreaded) up to `eventId`. */
  markRead(userId: string, receipt: ReadReceiptPosition): Promise<void>;
  /** Unread counts per room (every room asked for is present, zeros included). */
  getUnreadCounts(userId: string, roomIds: readonly string[]): Promise<Map<string, RoomUnreadCounts>>;
  /** GET /notifications. */
  getNotifications(userId: string, query: NotificationsQuery): Promise<NotificationsPage>;
}

export function createPushService(deps: CoreDeps, sources: PushSources = {}): PushService {
  const { storage } = deps;
  const changes = createRuleChanges(deps);
  const counter = createNotificationCounter(deps, createRulesetCache(), sources);
  const formatEvents: EventFormatter =
    sources.formatEvents ?? ((events) => Promise.all(events.map((event) => basicClientEvent(storage, event))));

  async function rulesEvent(userId: string): Promise<PushRulesEvent> {
    return { type: 'm.push_rules', content: { global: await loadRuleset(storage, userId) } };
  }

  return {
    async getRulesets(userId) {
      return { global: await loadRuleset(storage, userId) };
    },
    async getRuleset(userId, scope) {
      checkScopeAndKind(scope, 'override');
      return loadRuleset(storage, userId);
    },
    async getRulesOfKind(userId, scope, kind) {
      const checkedKind = checkScopeAndKind(scope, kind);
      return (await loadRuleset(storage, userId))[checkedKind];
    },
    async getRule(userId, scope, kind, ruleId) {
      const checkedKind = checkScopeAndKind(scope, kind);
      return findRule(await loadRuleset(storage, userId), checkedKind, ruleId);
    },
    async putRule(userId, scope, kind, ruleId, input) {
      await changes.put(userId, checkScopeAndKind(scope, kind), ruleId, input);
    },
    async deleteRule(userId, scope, kind, ruleId) {
      await changes.remove(userId, checkScopeAndKind(scope, kind), ruleId);
    },
    async setRuleEnabled(userId, scope, kind, ruleId, enabled) {
      await changes.setEnabled(userId, checkScopeAndKind(scope, kind), ruleId, enabled);
    },
    async setRuleActions(userId, scope, kind, ruleId, actions) {
      await changes.setActions(userId, checkScopeAndKind(scope, kind), ruleId, actions);
    },

    getPushRulesAccountData: rulesEvent,
    async getPushRulesChange(userId, from, to, options) {
      if (!options.initial) {
        const changedAt = (await storage.push.getRulesChangedAt([userId])).get(userId);
        if (changedAt === undefined || changedAt <= from || changedAt > to) return null;
      }
      return rulesEvent(userId);
    },

    async onEventPersisted(event, context) {
      try {
        await counter.processEvent(event, context);
      } catch (error) {
        deps.logger.error({ err: error, eventId: event.eventId }, 'push evaluation failed');
        // In a caller's transaction the caller decides (retry, roll back); else the event write already committed.
        if (context.storage !== undefined) throw error;
      }
    },
    writeEventRows: (tx, event, context) => counter.processEvent(event, { ...context, storage: tx }),
    eventReader: {
      name: 'push',
      // Evaluation reads inside the reader's transaction: the summary rows depend on memberships and rulesets at
      // this position, and processEvent with a caller's storage throws, so the reader rolls back and retries.
      prepare: async (events) => events,
      async write(tx, events) {
        for (const { event, roomVersion, stateGroup } of events) await counter.processEvent(event, { roomVersion, stateGroup, storage: tx });
      },
    },
    markRead: (userId, receipt) => counter.markRead(userId, receipt),
    getUnreadCounts: (userId, roomIds) => counter.getUnreadCounts(userId, roomIds),
    getNotifications: (userId, query) => listNotifications(storage, counter, formatEvents, userId, query),
  };
}
