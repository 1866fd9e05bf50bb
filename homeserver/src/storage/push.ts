/**
 * Repository interface: Push rules per user, notification records and unread counts.
 * Re-exported by storage/index.ts; implemented by knex/push.repo.ts for both dialects.
 *
 * Rules are stored as their JSON parts (`conditions`, `actions`) exactly as the push service validated
 * them; this layer does not interpret them.
 * https://spec.matrix.org/v1.19/client-server-api/#push-notifications
 */
import type { JsonObject, JsonValue } from '@parley/federation';

/** One user-defined rule. `kind` is one of override, content, room, sender, underride. */
export interface StoredPushRule {
  kind: string;
  ruleId: string;
  /** Order within the kind: lower is more important. */
  priority: number;
  enabled: boolean;
  actions: JsonValue[];
  conditions: JsonObject[] | null;
  pattern: string | null;
}

/** A user's change to a server-default rule; null fields keep the default. */
export interface PushRuleDefaultOverride {
  kind: string;
  ruleId: string;
  enabled: boolean | null;
  actions: JsonValue[] | null;
}

/** One notification: an event that the user's push rules said to notify about. */
export interface NewNotification {
  userId: string;
  eventId: string;
  roomId: string;
  /** `main` for the main timeline, else the thread root's event ID. */
  threadId: string;
  /** The event's position on the `events` stream. */
  streamOrdering: number;
  highlight: boolean;
  actions: JsonValue[];
  /** When the notification was created, ms. */
  ts: number;
}

/** A stored notification. */
export type StoredNotification = Omit<NewNotification, 'userId'>;

/** Where a user has read up to in a room (a thread, or unthreaded when `threadId` is null). */
export interface ReadMarker {
  roomId: string;
  threadId: string | null;
  streamOrdering: number;
}

/**
 * A range of one room's notifications to count: those after `after` (exclusive) and, when set, up to
 * `upTo` (inclusive); only thread `threadId` when set.
 */
export interface NotificationRange {
  roomId: string;
  threadId?: string;
  after: number;
  upTo?: number;
}

/** Counts of one room's thread (`main` for the main timeline). */
export interface NotificationCount {
  roomId: string;
  threadId: string;
  notifications: number;
  highlights: number;
}

export interface PushStore {
  /** The user's own rules, by kind then priority. */
  getUserRules(userId: string): Promise<StoredPushRule[]>;
  /** Inserts or replaces one rule (matched by user, kind and rule ID). */
  putUserRule(userId: string, rule: StoredPushRule): Promise<void>;
  /** Deletes a rule; false when there was none. */
  deleteUserRule(userId: string, kind: string, ruleId: string): Promise<boolean>;
  /** Rewrites the priorities of the user's rules of `kind`: the first ID gets 0, the next 1, ... */
  setUserRulePriorities(userId: string, kind: string, ruleIdsInOrder: readonly string[]): Promise<void>;
  /** Sets the enabled flag and/or actions of a user-defined rule; false when there is no such rule. */
  updateUserRule(
    userId: string,
    kind: string,
    ruleId: string,
    change: { enabled?: boolean; actions?: JsonValue[] },
  ): Promise<boolean>;

  /** The user's changes to server-default rules. */
  getDefaultOverrides(userId: string): Promise<PushRuleDefaultOverride[]>;
  /** Records a change to a server-default rule; fields left undefined keep what was recorded. */
  setDefaultOverride(
    userId: string,
    kind: string,
    ruleId: string,
    change: { enabled?: boolean; actions?: JsonValue[] },
  ): Promise<void>;

  /** Records that the user's rules changed at `position` of the `account_data` stream. */
  setRulesChangedAt(userId: string, position: number): Promise<void>;
  /** The `account_data` position of each user's last rule change (users who never changed any are absent). */
  getRulesChangedAt(userIds: readonly string[]): Promise<Map<string, number>>;

  /** Stores notifications; a repeated (user, event) pair is ignored. */
  addNotifications(rows: readonly NewNotification[]): Promise<void>;
  /** Removes every user's notification of an event (it was redacted); returns how many rows went. */
  deleteEventNotifications(eventId: string): Promise<number>;
  /** Counts notifications of `userId` in each range, grouped by room and thread. */
  countNotifications(userId: string, ranges: readonly NotificationRange[]): Promise<NotificationCount[]>;
  /**
   * The user's notifications, newest first: those with a stream ordering below `before` when set, only
   * highlights when asked.
   */
  listNotifications(
    userId: string,
    options: { before?: number; limit: number; onlyHighlight: boolean },
  ): Promise<StoredNotification[]>;

  /** Moves the user's read marker of a room/thread forward to `streamOrdering` (never backward). */
  advanceReadMarker(userId: string, marker: ReadMarker): Promise<void>;
  /** The user's read markers in the given rooms. */
  getReadMarkers(userId: string, roomIds: readonly string[]): Promise<ReadMarker[]>;
}
