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
  /**
   * False: the user is not notified by an event whose summary ({@link NewEventSummary}) would count for them
   * (an exception row; `highlight` and `actions` are then meaningless). Default true.
   */
  notify?: boolean;
}

/**
 * What most local members get from an event: one row per event instead of one per member. It counts for every
 * local user joined at its stream ordering ({@link MemberChange}), except its sender and users with their own row
 * for the event.
 */
export interface NewEventSummary {
  eventId: string;
  roomId: string;
  threadId: string;
  streamOrdering: number;
  sender: string;
  highlight: boolean;
  actions: JsonValue[];
  ts: number;
}

/** A local user's membership changing in a room at a stream ordering: joined from there on, or not. */
export interface MemberChange {
  roomId: string;
  streamOrdering: number;
  joined: boolean;
}

/** A stored notification. */
export type StoredNotification = Omit<NewNotification, 'userId' | 'notify'>;

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

/** A page of notifications: below `before` when set, at most `limit`, only highlights when asked. */
export interface NotificationListOptions {
  before?: number;
  limit: number;
  onlyHighlight: boolean;
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
  /** Stores an event's summary; a repeated event is ignored. */
  addEventSummary(summary: NewEventSummary): Promise<void>;
  /** Removes every user's notification and the summary of an event (it was redacted); returns how many rows went. */
  deleteEventNotifications(eventId: string): Promise<number>;
  /** Counts the user's own rows that notify in each range, grouped by room and thread. */
  countNotifications(userId: string, ranges: readonly NotificationRange[]): Promise<NotificationCount[]>;
  /**
   * Counts summaries in each range (the caller cuts ranges to the user's joined spans), grouped by room and
   * thread: those not sent by `userId` and without a row of the user's own for the event.
   */
  countSummaries(userId: string, ranges: readonly NotificationRange[]): Promise<NotificationCount[]>;
  /**
   * The user's own rows that notify, newest first: those with a stream ordering below `before` when set, only
   * highlights when asked.
   */
  listNotifications(userId: string, options: NotificationListOptions): Promise<StoredNotification[]>;
  /** The summaries {@link countSummaries} would count in `ranges`, newest first, like {@link listNotifications}. */
  listSummaries(userId: string, ranges: readonly NotificationRange[], options: NotificationListOptions): Promise<StoredNotification[]>;

  /** Records a local user's membership change (idempotent). */
  recordMemberChange(userId: string, change: MemberChange): Promise<void>;
  /** The user's membership changes, in the given rooms or all, oldest first. */
  getMemberChanges(userId: string, roomIds?: readonly string[]): Promise<MemberChange[]>;

  /** Moves the user's read marker of a room/thread forward to `streamOrdering` (never backward). */
  advanceReadMarker(userId: string, marker: ReadMarker): Promise<void>;
  /** The user's read markers in the given rooms. */
  getReadMarkers(userId: string, roomIds: readonly string[]): Promise<ReadMarker[]>;
}
