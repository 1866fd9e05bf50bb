/**
 * The knex implementation of {@link SearchStore}, one for SQLite and PostgreSQL.
 *
 * Everything but the text match is shared. The match is the one dialect branch ({@link joinTextMatch}):
 * - SQLite: FTS5 over `event_search_fts`; the term is tokenised here the way FTS5's `unicode61` tokenizer does
 *   (letters, numbers, private-use characters) and every token becomes a quoted prefix phrase, so FTS5 syntax
 *   (`"`, `*`, `-`, `NEAR`, `AND`, column filters …) in a user's term is never interpreted.
 * - PostgreSQL: the term goes through PostgreSQL's own parser (`to_tsvector('simple', term)`) and each lexeme
 *   becomes a quoted prefix (`'lexeme':*`), so tsquery operators in the term are never interpreted either.
 * Both AND the tokens together and match them as word prefixes ("hel" finds "hello").
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-search
 */
import type { Knex } from 'knex';
import type { SearchCriteria, SearchEntry, SearchHit, SearchStore } from '../search.js';
import { chunks, insertIgnoringConflicts, toInteger, type Dialect, type Queryable, type SqlContext } from './dialect.js';

interface HitRow {
  event_id: string;
  room_id: string;
  sender: string;
  stream_ordering: unknown;
  rank: unknown;
  body: string;
}

export function createSearchStore(ctx: SqlContext): SearchStore {
  const { db, dialect } = ctx;
  return {
    async index(entries) {
      const rows = entries.map(entryRow);
      await insertIgnoringConflicts(db, 'event_search', rows, ['event_id']);
    },

    async remove(eventIds) {
      let removed = 0;
      for (const chunk of chunks(eventIds)) removed += await db('event_search').whereIn('event_id', chunk).delete();
      return removed;
    },

    async removeRoom(roomId) {
      return db('event_search').where({ room_id: roomId }).delete();
    },

    async search(criteria, page) {
      const query = matchingRows(db, dialect, criteria);
      if (query === null) return [];
      query.select('s.event_id', 's.room_id', 's.sender', 's.stream_ordering', 's.body', { rank: 'm.rank' });
      if (page.order === 'recent') {
        if (page.before !== undefined) query.where('s.stream_ordering', '<', page.before);
        query.orderBy('s.stream_ordering', 'desc').limit(page.limit);
      } else {
        // Newest first among equal ranks keeps the order total, so offsets page deterministically.
        query.orderBy([{ column: 'm.rank', order: 'desc' }, { column: 's.stream_ordering', order: 'desc' }]);
        query.limit(page.limit).offset(page.offset);
      }
      const rows = (await query) as HitRow[];
      return rows.map(hitFromRow);
    },

    async count(criteria) {
      const query = matchingRows(db, dialect, criteria);
      if (query === null) return 0;
      const row = (await query.count({ n: '*' }).first()) as { n: unknown } | undefined;
      return row === undefined ? 0 : toInteger(row.n);
    },

    async neighbours(roomId, streamOrdering, limits) {
      const timeline = () =>
        db('events').select('event_id').where({ room_id: roomId, outlier: false }).whereNull('rejected_reason');
      const before: { event_id: string }[] =
        limits.before > 0
          ? await timeline().where('stream_ordering', '<', streamOrdering).orderBy('stream_ordering', 'desc').limit(limits.before)
          : [];
      const after: { event_id: string }[] =
        limits.after > 0
          ? await timeline().where('stream_ordering', '>', streamOrdering).orderBy('stream_ordering', 'asc').limit(limits.after)
          : [];
      return { before: before.map((row) => row.event_id), after: after.map((row) => row.event_id) };
    },

    async memberEventIdAt(roomId, userId, streamOrdering) {
      const row: { event_id: string } | undefined = await db('events')
        .select('event_id')
        .where({ room_id: roomId, type: 'm.room.member', state_key: userId, outlier: false })
        .whereNull('rejected_reason')
        .where('stream_ordering', '<=', streamOrdering)
        .orderBy('stream_ordering', 'desc')
        .first();
      return row?.event_id ?? null;
    },
  };
}

function entryRow(entry: SearchEntry): Record<string, unknown> {
  return {
    event_id: entry.eventId,
    room_id: entry.roomId,
    sender: entry.sender,
    type: entry.type,
    key: entry.key,
    stream_ordering: entry.streamOrdering,
    origin_server_ts: entry.originServerTs,
    body: entry.body,
  };
}

function hitFromRow(row: HitRow): SearchHit {
  return {
    eventId: row.event_id,
    roomId: row.room_id,
    sender: row.sender,
    streamOrdering: toInteger(row.stream_ordering),
    rank: Number(row.rank),
    body: row.body,
  };
}

/**
 * Index rows matching `criteria`, joined to their (unredacted) events, with the match's rank as `m.rank`.
 * Null when nothing can match (no rooms, or a term without any searchable token).
 */
function matchingRows(db: Queryable, dialect: Dialect, criteria: SearchCriteria): Knex.QueryBuilder | null {
  if (criteria.roomIds.length === 0) return null;
  if (criteria.types !== undefined && criteria.types.length === 0) return null;
  if (criteria.senders !== undefined && criteria.senders.length === 0) return null;
  const query = db('event_search as s');
  if (!joinTextMatch(query, dialect, criteria.term)) return null;
  query
    .join('events as e', 'e.event_id', 's.event_id')
    .whereNull('e.redacted_by')
    // Belt and braces: a room that turned encrypted is purged from the index, but a row indexed concurrently
    // with the m.room.encryption event must still never be served.
    .whereNotExists((sub) =>
      sub
        .select(db.raw('1'))
        .from('current_state_events as cs')
        .whereRaw('cs.room_id = s.room_id')
        .where({ 'cs.type': 'm.room.encryption', 'cs.state_key': '' }),
    )
    .whereIn('s.room_id', [...criteria.roomIds])
    .where('s.stream_ordering', '<=', criteria.maxStreamOrdering);
  if (criteria.keys.length > 0) query.whereIn('s.key', [...criteria.keys]);
  if (criteria.types !== undefined) query.whereIn('s.type', [...criteria.types]);
  if (criteria.senders !== undefined) query.whereIn('s.sender', [...criteria.senders]);
  if (criteria.notSenders !== undefined && criteria.notSenders.length > 0) query.whereNotIn('s.sender', [...criteria.notSenders]);
  return query;
}

/** Adds the dialect's text match to `query` as a joined `m` with a `rank` column; false when nothing can match. */
function joinTextMatch(query: Knex.QueryBuilder, dialect: Dialect, term: string): boolean {
  if (dialect === 'postgres') {
    query.joinRaw(`CROSS JOIN (SELECT ${POSTGRES_PREFIX_QUERY} AS q) AS mq`, [term]);
    query.joinRaw('CROSS JOIN LATERAL (SELECT ts_rank(s.vector, mq.q) AS rank) AS m');
    query.whereRaw('s.vector @@ mq.q');
    return true;
  }
  const match = fts5PrefixQuery(term);
  if (match === null) return false;
  query.joinRaw(
    'JOIN (SELECT rowid AS fts_rowid, -bm25(event_search_fts) AS rank FROM event_search_fts WHERE event_search_fts MATCH ?) AS m ON m.fts_rowid = s.id',
    [match],
  );
  return true;
}

/**
 * A tsquery ANDing every lexeme PostgreSQL's parser finds in the term, each as a quoted prefix. Lexemes are
 * quoted by doubling `'` and escaping `\`, tsquery's own quoting rules. NULL (matching nothing) for a term
 * without lexemes.
 */
const POSTGRES_PREFIX_QUERY = `to_tsquery('simple', (
  SELECT string_agg('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || ''':*', ' & ')
  FROM unnest(tsvector_to_array(to_tsvector('simple', ?::text))) AS lexeme
))`;

/** What FTS5's `unicode61` tokenizer treats as token characters by default (`categories 'L* N* Co'`). */
const NOT_TOKEN_CHARACTERS = /[^\p{L}\p{N}\p{Co}]+/u;

/**
 * An FTS5 MATCH expression ANDing each token of `term` as a quoted prefix phrase (`"hello"* "wor"*`), or null
 * when the term has no token. Quoting makes FTS5 read every token as plain text (even `AND`, `NEAR`).
 */
export function fts5PrefixQuery(term: string): string | null {
  const tokens = term.split(NOT_TOKEN_CHARACTERS).filter((token) => token !== '');
  if (tokens.length === 0) return null;
  return tokens.map((token) => `"${token.replaceAll('"', '""')}"*`).join(' ');
}
