/**
 * The knex implementation of {@link PushStore}, one for SQLite and PostgreSQL.
 */
import type { JsonObject, JsonValue } from '@parley/federation';
import type { Knex } from 'knex';
import type {
  MemberChange,
  NotificationCount,
  NotificationListOptions,
  NotificationRange,
  PushRuleDefaultOverride,
  PushStore,
  ReadMarker,
  StoredNotification,
  StoredPushRule,
} from '../push.js';
import { chunks, insertIgnoringConflicts, toBoolean, toInteger, upsert, type Queryable, type SqlContext } from './dialect.js';

interface RuleRow {
  kind: string;
  rule_id: string;
  priority: unknown;
  enabled: unknown;
  actions: string;
  conditions: string | null;
  pattern: string | null;
}

interface OverrideRow {
  kind: string;
  rule_id: string;
  enabled: unknown;
  actions: string | null;
}

interface NotificationRow {
  event_id: string;
  room_id: string;
  thread_id: string;
  stream_ordering: unknown;
  highlight: unknown;
  actions: string;
  ts: unknown;
}

/** The thread_id column value of an unthreaded read marker. */
const UNTHREADED = '';

/** Ranges per counting statement: each binds up to five values. */
const RANGES_PER_STATEMENT = 200;

export function createPushStore(ctx: SqlContext): PushStore {
  const { db } = ctx;
  return {
    async getUserRules(userId) {
      const rows: RuleRow[] = await db('push_rules').select('*').where({ user_id: userId }).orderBy([
        { column: 'kind' },
        { column: 'priority' },
        { column: 'rule_id' },
      ]);
      return rows.map(ruleFromRow);
    },

    async putUserRule(userId, rule) {
      const row = {
        user_id: userId,
        kind: rule.kind,
        rule_id: rule.ruleId,
        priority: rule.priority,
        enabled: rule.enabled,
        actions: JSON.stringify(rule.actions),
        conditions: rule.conditions === null ? null : JSON.stringify(rule.conditions),
        pattern: rule.pattern,
      };
      await upsert(db, 'push_rules', [row], {
        conflict: ['user_id', 'kind', 'rule_id'],
        update: ['priority', 'enabled', 'actions', 'conditions', 'pattern'],
      });
    },

    async deleteUserRule(userId, kind, ruleId) {
      const deleted = await db('push_rules').where({ user_id: userId, kind, rule_id: ruleId }).delete();
      return deleted > 0;
    },

    async setUserRulePriorities(userId, kind, ruleIdsInOrder) {
      for (const [priority, ruleId] of ruleIdsInOrder.entries()) {
        await db('push_rules').where({ user_id: userId, kind, rule_id: ruleId }).update({ priority });
      }
    },

    async updateUserRule(userId, kind, ruleId, change) {
      const columns = changedColumns(change);
      const query = db('push_rules').where({ user_id: userId, kind, rule_id: ruleId });
      if (Object.keys(columns).length === 0) return (await query.clone().first('rule_id')) !== undefined;
      return (await query.update(columns)) > 0;
    },

    async getDefaultOverrides(userId) {
      const rows: OverrideRow[] = await db('push_rule_default_overrides').select('*').where({ user_id: userId });
      return rows.map(overrideFromRow);
    },

    async setDefaultOverride(userId, kind, ruleId, change) {
      const columns = changedColumns(change);
      const row = { user_id: userId, kind, rule_id: ruleId, enabled: null, actions: null, ...columns };
      const conflict = ['user_id', 'kind', 'rule_id'];
      const update = Object.keys(columns);
      if (update.length === 0) await insertIgnoringConflicts(db, 'push_rule_default_overrides', [row], conflict);
      else await upsert(db, 'push_rule_default_overrides', [row], { conflict, update });
    },

    async setRulesChangedAt(userId, position) {
      await upsert(db, 'push_rules_stream', [{ user_id: userId, position }], { conflict: ['user_id'], update: ['position'] });
    },

    async getRulesChangedAt(userIds) {
      const positions = new Map<string, number>();
      for (const chunk of chunks(userIds)) {
        const rows: { user_id: string; position: unknown }[] = await db('push_rules_stream')
          .select('user_id', 'position')
          .whereIn('user_id', chunk);
        for (const row of rows) positions.set(row.user_id, toInteger(row.position));
      }
      return positions;
    },

    async addNotifications(rows) {
      const records = rows.map((row) => ({
        user_id: row.userId,
        event_id: row.eventId,
        room_id: row.roomId,
        thread_id: row.threadId,
        stream_ordering: row.streamOrdering,
        highlight: row.highlight,
        actions: JSON.stringify(row.actions),
        ts: row.ts,
        notify: row.notify ?? true,
      }));
      await insertIgnoringConflicts(db, 'event_push_actions', records, ['user_id', 'event_id']);
    },

    async addEventSummary(summary) {
      const record = {
        event_id: summary.eventId,
        room_id: summary.roomId,
        thread_id: summary.threadId,
        stream_ordering: summary.streamOrdering,
        sender: summary.sender,
        highlight: summary.highlight,
        actions: JSON.stringify(summary.actions),
        ts: summary.ts,
      };
      await insertIgnoringConflicts(db, 'push_event_summaries', [record], ['event_id']);
    },

    async deleteEventNotifications(eventId) {
      const own = await db('event_push_actions').where('event_id', eventId).delete();
      return own + (await db('push_event_summaries').where('event_id', eventId).delete());
    },

    async countNotifications(userId, ranges) {
      const counts: NotificationCount[] = [];
      // No ranges: chunks() yields nothing, so no statement with an empty OR group runs.
      for (const chunk of chunks(ranges, RANGES_PER_STATEMENT)) {
        const query = db('event_push_actions').where('user_id', userId).where('notify', true);
        counts.push(...(await groupedCounts(db, inRanges(query, chunk))));
      }
      return counts;
    },

    async countSummaries(userId, ranges) {
      const counts: NotificationCount[] = [];
      for (const chunk of chunks(ranges, RANGES_PER_STATEMENT)) {
        counts.push(...(await groupedCounts(db, inRanges(summariesFor(db, userId), chunk))));
      }
      return counts;
    },

    async listNotifications(userId, options) {
      const query = db('event_push_actions').select('*').where('user_id', userId).where('notify', true);
      const rows: NotificationRow[] = await page(query, options);
      return rows.map(notificationFromRow);
    },

    async listSummaries(userId, ranges, options) {
      const found: StoredNotification[] = [];
      for (const chunk of chunks(ranges, RANGES_PER_STATEMENT)) {
        const rows: NotificationRow[] = await page(inRanges(summariesFor(db, userId).select('*'), chunk), options);
        found.push(...rows.map(notificationFromRow));
      }
      // Several chunks: the newest `limit` of their pages.
      return found.sort((a, b) => b.streamOrdering - a.streamOrdering).slice(0, options.limit);
    },

    async recordMemberChange(userId, change) {
      const row = { user_id: userId, room_id: change.roomId, stream_ordering: change.streamOrdering, joined: change.joined };
      await insertIgnoringConflicts(db, 'push_member_changes', [row], ['user_id', 'room_id', 'stream_ordering']);
    },

    async getMemberChanges(userId, roomIds) {
      const changes: MemberChange[] = [];
      for (const chunk of roomIds === undefined ? [undefined] : chunks(roomIds)) {
        const query = db('push_member_changes').select('room_id', 'stream_ordering', 'joined').where('user_id', userId);
        if (chunk !== undefined) query.whereIn('room_id', chunk);
        const rows: { room_id: string; stream_ordering: unknown; joined: unknown }[] = await query.orderBy([
          { column: 'room_id' },
          { column: 'stream_ordering' },
        ]);
        for (const row of rows) {
          changes.push({ roomId: row.room_id, streamOrdering: toInteger(row.stream_ordering), joined: toBoolean(row.joined) });
        }
      }
      return changes;
    },

    async advanceReadMarker(userId, marker) {
      const row = {
        user_id: userId,
        room_id: marker.roomId,
        thread_id: marker.threadId ?? UNTHREADED,
        stream_ordering: marker.streamOrdering,
      };
      // Never backward: keep the larger of the stored and the new position.
      await db('push_read_markers')
        .insert(row)
        .onConflict(['user_id', 'room_id', 'thread_id'])
        .merge({
          stream_ordering: db.raw(
            'CASE WHEN excluded.stream_ordering > push_read_markers.stream_ordering THEN excluded.stream_ordering ELSE push_read_markers.stream_ordering END',
          ),
        });
    },

    async getReadMarkers(userId, roomIds) {
      const markers: ReadMarker[] = [];
      for (const chunk of chunks(roomIds)) {
        const rows: { room_id: string; thread_id: string; stream_ordering: unknown }[] = await db('push_read_markers')
          .select('room_id', 'thread_id', 'stream_ordering')
          .where('user_id', userId)
          .whereIn('room_id', chunk);
        for (const row of rows) {
          markers.push({
            roomId: row.room_id,
            threadId: row.thread_id === UNTHREADED ? null : row.thread_id,
            streamOrdering: toInteger(row.stream_ordering),
          });
        }
      }
      return markers;
    },
  };
}

/** Summaries that may count for `userId`: not their own events, no row of the user's own for the event. */
function summariesFor(db: Queryable, userId: string): Knex.QueryBuilder {
  return db('push_event_summaries as s')
    .whereNot('s.sender', userId)
    .whereNotExists((own) => {
      own.select(db.raw('1')).from('event_push_actions as a').where('a.user_id', userId).whereRaw('a.event_id = s.event_id');
    });
}

/** `query` narrowed to the rows in any of `ranges`. */
function inRanges(query: Knex.QueryBuilder, ranges: readonly NotificationRange[]): Knex.QueryBuilder {
  return query.where((outer) => {
    for (const range of ranges) outer.orWhere((inner) => applyRange(inner, range));
  });
}

/** Counts and highlights of `query`'s rows, by room and thread. */
async function groupedCounts(db: Queryable, query: Knex.QueryBuilder): Promise<NotificationCount[]> {
  const rows: { room_id: string; thread_id: string; notifications: unknown; highlights: unknown }[] = await query
    .select('room_id', 'thread_id')
    .count({ notifications: '*' })
    .sum({ highlights: db.raw('CASE WHEN highlight THEN 1 ELSE 0 END') })
    .groupBy('room_id', 'thread_id');
  return rows.map((row) => ({
    roomId: row.room_id,
    threadId: row.thread_id,
    notifications: toInteger(row.notifications),
    highlights: row.highlights == null ? 0 : toInteger(row.highlights),
  }));
}

/** One page of notification rows, newest first. */
function page(query: Knex.QueryBuilder, options: NotificationListOptions): Knex.QueryBuilder {
  if (options.before !== undefined) query.where('stream_ordering', '<', options.before);
  if (options.onlyHighlight) query.where('highlight', true);
  return query.orderBy('stream_ordering', 'desc').limit(options.limit);
}

function applyRange(query: Knex.QueryBuilder, range: NotificationRange): void {
  query.where('room_id', range.roomId).where('stream_ordering', '>', range.after);
  if (range.upTo !== undefined) query.where('stream_ordering', '<=', range.upTo);
  if (range.threadId !== undefined) query.where('thread_id', range.threadId);
}

/** The columns a partial `{ enabled, actions }` change sets. */
function changedColumns(change: { enabled?: boolean; actions?: JsonValue[] }): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  if (change.enabled !== undefined) columns.enabled = change.enabled;
  if (change.actions !== undefined) columns.actions = JSON.stringify(change.actions);
  return columns;
}

function ruleFromRow(row: RuleRow): StoredPushRule {
  return {
    kind: row.kind,
    ruleId: row.rule_id,
    priority: toInteger(row.priority),
    enabled: toBoolean(row.enabled),
    actions: JSON.parse(row.actions) as JsonValue[],
    conditions: row.conditions === null ? null : (JSON.parse(row.conditions) as JsonObject[]),
    pattern: row.pattern,
  };
}

function overrideFromRow(row: OverrideRow): PushRuleDefaultOverride {
  return {
    kind: row.kind,
    ruleId: row.rule_id,
    enabled: row.enabled == null ? null : toBoolean(row.enabled),
    actions: row.actions === null ? null : (JSON.parse(row.actions) as JsonValue[]),
  };
}

function notificationFromRow(row: NotificationRow): StoredNotification {
  return {
    eventId: row.event_id,
    roomId: row.room_id,
    threadId: row.thread_id,
    streamOrdering: toInteger(row.stream_ordering),
    highlight: toBoolean(row.highlight),
    actions: JSON.parse(row.actions) as JsonValue[],
    ts: toInteger(row.ts),
  };
}
