/**
 * The knex implementation of {@link RoomStateStore}, one for SQLite and PostgreSQL.
 * State snapshots are deltas with a bounded chain; see migrations/0003_room_state.ts for the layout.
 */
import type {
  EventStateRef,
  MembershipChangeRecord,
  MembershipRecord,
  RoomStateStore,
  StateGroupEntry,
  TxnRecord,
} from '../room-state.js';
import { chunks, insertIgnoringConflicts, toBoolean, toInteger, upsert, type Queryable, type SqlContext } from './dialect.js';
import { createRoomRelationsStore } from './room-relations.repo.js';
import { atomically } from './tx.js';

/**
 * Longest delta chain below a group. Reading a group costs two queries whatever the chain length; the bound
 * caps how many delta rows a read merges. 1 full snapshot per 32 state changes keeps storage near one row per
 * state change plus a full copy every 32.
 */
export const MAX_STATE_CHAIN = 32;

interface MembershipRow {
  room_id: string;
  user_id: string;
  membership: string;
  event_id: string;
  sender: string;
  stream_ordering: unknown;
  displayname: string | null;
  avatar_url: string | null;
  forgotten: unknown;
}

interface ChangeRow {
  room_id: string;
  user_id: string;
  membership: string;
  previous: string | null;
  event_id: string;
  sender: string;
  stream_ordering: unknown;
}

export function createRoomStateStore(ctx: SqlContext): RoomStateStore {
  const { db, dialect } = ctx;
  return {
    ...createRoomRelationsStore(ctx),
    async lockRoom(roomId) {
      if (dialect === 'postgres') await db('rooms').select('room_id').where({ room_id: roomId }).forUpdate();
    },

    createStateGroup: (group) => atomically(db, (trx) => createGroup(trx, group)),

    getStateGroup: async (groupId) => (await readGroups(db, [groupId])).get(groupId) as StateGroupEntry[],

    getStateGroups: (groupIds) => readGroups(db, groupIds),

    async setEventState(refs) {
      const rows = refs.map((ref) => ({
        event_id: ref.eventId,
        room_id: ref.roomId,
        before_group: ref.beforeGroup,
        after_group: ref.afterGroup,
        replaces_event_id: ref.replacesEventId,
        current_group: ref.currentGroup ?? null,
      }));
      await insertIgnoringConflicts(db, 'event_state', rows, ['event_id']);
    },

    async getEventState(eventIds) {
      const refs = new Map<string, EventStateRef>();
      for (const chunk of chunks([...new Set(eventIds)])) {
        const rows: {
          event_id: string;
          room_id: string;
          before_group: unknown;
          after_group: unknown;
          replaces_event_id: string | null;
          current_group: unknown;
        }[] = await db('event_state').select('*').whereIn('event_id', chunk);
        for (const row of rows) {
          refs.set(row.event_id, {
            eventId: row.event_id,
            roomId: row.room_id,
            beforeGroup: toInteger(row.before_group),
            afterGroup: toInteger(row.after_group),
            replacesEventId: row.replaces_event_id,
            ...(row.current_group === null || row.current_group === undefined ? {} : { currentGroup: toInteger(row.current_group) }),
          });
        }
      }
      return refs;
    },

    applyMembershipChanges: (changes) =>
      atomically(db, async (trx) => {
        const current = changes.map((change) => ({
          room_id: change.roomId,
          user_id: change.userId,
          membership: change.membership,
          event_id: change.eventId,
          sender: change.sender,
          stream_ordering: change.streamOrdering,
          displayname: change.displayname,
          avatar_url: change.avatarUrl,
          forgotten: false,
        }));
        await upsert(trx, 'room_memberships', current, {
          conflict: ['room_id', 'user_id'],
          update: ['membership', 'event_id', 'sender', 'stream_ordering', 'displayname', 'avatar_url', 'forgotten'],
        });
        const log = changes.map((change) => ({
          stream_ordering: change.streamOrdering,
          room_id: change.roomId,
          user_id: change.userId,
          membership: change.membership,
          previous: change.previous,
          event_id: change.eventId,
          sender: change.sender,
        }));
        await upsert(trx, 'room_membership_changes', log, {
          conflict: ['user_id', 'stream_ordering', 'room_id'],
          update: ['membership', 'previous', 'event_id', 'sender'],
        });
      }),

    async getMembership(roomId, userId) {
      const row: MembershipRow | undefined = await db('room_memberships').select('*').where({ room_id: roomId, user_id: userId }).first();
      return row === undefined ? null : membershipFromRow(row);
    },

    async getMembershipsOfUser(userId, options = {}) {
      const query = db('room_memberships').select('*').where({ user_id: userId });
      if (!options.includeForgotten) query.where({ forgotten: false });
      const rows: MembershipRow[] = await query.orderBy('stream_ordering');
      return rows.map(membershipFromRow);
    },

    async getMembershipsOfRoom(roomId, membership) {
      const query = db('room_memberships').select('*').where({ room_id: roomId });
      if (membership !== undefined) query.where({ membership });
      const rows: MembershipRow[] = await query.orderBy('user_id');
      return rows.map(membershipFromRow);
    },

    async getMembershipChanges(userId, from, to, roomId) {
      const query = db('room_membership_changes')
        .select('*')
        .where({ user_id: userId })
        .where('stream_ordering', '>', from)
        .where('stream_ordering', '<=', to);
      if (roomId !== undefined) query.where({ room_id: roomId });
      const rows: ChangeRow[] = await query.orderBy('stream_ordering');
      return rows.map(changeFromRow);
    },

    async hasMembershipAfter(roomId, userId, membership, after) {
      const row: unknown = await db('room_membership_changes')
        .select('stream_ordering')
        .where({ user_id: userId, room_id: roomId, membership })
        .where('stream_ordering', '>', after)
        .first();
      return row !== undefined;
    },

    async forgetRoom(roomId, userId) {
      await db('room_memberships')
        .where({ room_id: roomId, user_id: userId })
        .whereIn('membership', ['leave', 'ban'])
        .update({ forgotten: true });
    },

    async getTxn(scope, txnId) {
      const row: { scope: string; txn_id: string; event_id: string; room_id: string } | undefined = await db('room_txn_ids')
        .select('*')
        .where({ scope, txn_id: txnId })
        .first();
      return row === undefined ? null : { scope: row.scope, txnId: row.txn_id, eventId: row.event_id, roomId: row.room_id };
    },

    async saveTxn(record) {
      const row = { scope: record.scope, txn_id: record.txnId, event_id: record.eventId, room_id: record.roomId, created_ts: record.createdTs };
      const inserted: unknown[] = await db('room_txn_ids').insert(row).onConflict(['scope', 'txn_id']).ignore().returning('scope');
      return inserted.length > 0;
    },

    async getTxnsForEvents(eventIds) {
      const found = new Map<string, TxnRecord>();
      for (const chunk of chunks([...new Set(eventIds)])) {
        const rows: { scope: string; txn_id: string; event_id: string; room_id: string }[] = await db('room_txn_ids')
          .select('*')
          .whereIn('event_id', chunk);
        for (const row of rows) found.set(row.event_id, { scope: row.scope, txnId: row.txn_id, eventId: row.event_id, roomId: row.room_id });
      }
      return found;
    },

    async createAlias(alias, roomId, creator, createdTs) {
      const inserted: unknown[] = await db('room_aliases')
        .insert({ alias, room_id: roomId, creator, created_ts: createdTs })
        .onConflict('alias')
        .ignore()
        .returning('alias');
      return inserted.length > 0;
    },

    async getAliasRoom(alias) {
      const row: { room_id: string } | undefined = await db('room_aliases').select('room_id').where({ alias }).first();
      return row?.room_id ?? null;
    },

    async getAliasesOfRoom(roomId) {
      const rows: { alias: string }[] = await db('room_aliases').select('alias').where({ room_id: roomId }).orderBy('alias');
      return rows.map((row) => row.alias);
    },

    async deleteAlias(alias) {
      const deleted = await db('room_aliases').where({ alias }).delete();
      return deleted > 0;
    },

    async retainRedacted(eventId, redactionEventId, purgeAfterTs) {
      const row = { event_id: eventId, redaction_event_id: redactionEventId, purge_after_ts: purgeAfterTs };
      await insertIgnoringConflicts(db, 'redaction_retention', [row], ['event_id']);
    },

    async expiredRedactions(now, limit) {
      const rows: { event_id: string }[] = await db('redaction_retention')
        .select('event_id')
        .where('purge_after_ts', '<=', now)
        .orderBy('purge_after_ts')
        .limit(limit);
      return rows.map((row) => row.event_id);
    },

    async clearRedactionRetention(eventIds) {
      for (const chunk of chunks([...new Set(eventIds)])) await db('redaction_retention').whereIn('event_id', chunk).delete();
    },
  };
}

/** Writes a group: a delta below its parent, or in full when the parent's chain is at the bound. */
async function createGroup(
  trx: Queryable,
  group: Parameters<RoomStateStore['createStateGroup']>[0],
): Promise<number> {
  let chain: number[] = [];
  let set = group.set;
  let remove = group.remove;
  if (group.prevGroup !== null) {
    const parentChain = await chainOf(trx, group.prevGroup);
    if (parentChain.length + 1 <= MAX_STATE_CHAIN) {
      chain = [...parentChain, group.prevGroup];
    } else {
      // Flatten: the parent's full state with the changes applied becomes a new base.
      const full = new Map(((await readGroups(trx, [group.prevGroup])).get(group.prevGroup) ?? []).map((entry) => [`${entry.type}\u0000${entry.stateKey}`, entry]));
      for (const key of group.remove) full.delete(`${key.type}\u0000${key.stateKey}`);
      for (const entry of group.set) full.set(`${entry.type}\u0000${entry.stateKey}`, entry);
      set = [...full.values()];
      remove = [];
    }
  }
  const inserted: ({ id: unknown } | number)[] = await trx('state_groups')
    .insert({ room_id: group.roomId, chain: JSON.stringify(chain) })
    .returning('id');
  const first = inserted[0];
  if (first === undefined) throw new Error('state group insert returned no id');
  const id = toInteger(typeof first === 'object' ? first.id : first);
  const rows = [
    ...set.map((entry) => ({ group_id: id, type: entry.type, state_key: entry.stateKey, event_id: entry.eventId })),
    ...remove.map((key) => ({ group_id: id, type: key.type, state_key: key.stateKey, event_id: null })),
  ];
  await upsert(trx, 'state_group_entries', rows, { conflict: ['group_id', 'type', 'state_key'], update: ['event_id'] });
  return id;
}

async function chainOf(db: Queryable, groupId: number): Promise<number[]> {
  return (await chainsOf(db, [groupId])).get(groupId) as number[];
}

/** The delta chain (base first) of each group; throws for an unknown group. */
async function chainsOf(db: Queryable, groupIds: readonly number[]): Promise<Map<number, number[]>> {
  const chains = new Map<number, number[]>();
  for (const chunk of chunks([...new Set(groupIds)])) {
    const rows: { id: unknown; chain: string }[] = await db('state_groups').select('id', 'chain').whereIn('id', chunk);
    // Our own write: a JSON array of group ids.
    for (const row of rows) chains.set(toInteger(row.id), JSON.parse(row.chain) as number[]);
  }
  for (const groupId of groupIds) if (!chains.has(groupId)) throw new Error(`unknown state group ${groupId}`);
  return chains;
}

/** The full state of each group: its chain's entries applied base first. */
async function readGroups(db: Queryable, groupIds: readonly number[]): Promise<Map<number, StateGroupEntry[]>> {
  const chains = await chainsOf(db, groupIds);
  const needed = new Set<number>();
  for (const [groupId, chain] of chains) for (const id of [...chain, groupId]) needed.add(id);
  const rowsByGroup = new Map<number, { type: string; state_key: string; event_id: string | null }[]>();
  for (const chunk of chunks([...needed])) {
    const rows: { group_id: unknown; type: string; state_key: string; event_id: string | null }[] = await db('state_group_entries')
      .select('group_id', 'type', 'state_key', 'event_id')
      .whereIn('group_id', chunk);
    for (const row of rows) {
      const groupId = toInteger(row.group_id);
      const list = rowsByGroup.get(groupId) ?? [];
      list.push(row);
      rowsByGroup.set(groupId, list);
    }
  }
  const result = new Map<number, StateGroupEntry[]>();
  for (const [groupId, chain] of chains) {
    const state = new Map<string, StateGroupEntry>();
    for (const id of [...chain, groupId]) {
      for (const row of rowsByGroup.get(id) ?? []) {
        const key = `${row.type}\u0000${row.state_key}`;
        if (row.event_id === null) state.delete(key);
        else state.set(key, { type: row.type, stateKey: row.state_key, eventId: row.event_id });
      }
    }
    result.set(groupId, [...state.values()].sort((a, b) => (a.type === b.type ? compare(a.stateKey, b.stateKey) : compare(a.type, b.type))));
  }
  return result;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function membershipFromRow(row: MembershipRow): MembershipRecord {
  return {
    roomId: row.room_id,
    userId: row.user_id,
    membership: row.membership,
    eventId: row.event_id,
    sender: row.sender,
    streamOrdering: toInteger(row.stream_ordering),
    displayname: row.displayname,
    avatarUrl: row.avatar_url,
    forgotten: toBoolean(row.forgotten),
  };
}

function changeFromRow(row: ChangeRow): MembershipChangeRecord {
  return {
    roomId: row.room_id,
    userId: row.user_id,
    membership: row.membership,
    previous: row.previous,
    eventId: row.event_id,
    sender: row.sender,
    streamOrdering: toInteger(row.stream_ordering),
  };
}
