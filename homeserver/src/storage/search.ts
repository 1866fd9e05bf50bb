/**
 * Repository interface: The full-text index of searchable event text (message bodies, room names and topics).
 * Re-exported by storage/index.ts; implemented by knex/search.repo.ts for both dialects.
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-search
 */

/** The event keys the spec lets clients search. */
export type SearchKey = 'content.body' | 'content.name' | 'content.topic';

/** One event's searchable text, as the search service extracted it. */
export interface SearchEntry {
  eventId: string;
  roomId: string;
  sender: string;
  type: string;
  key: SearchKey;
  streamOrdering: number;
  originServerTs: number;
  body: string;
}

/**
 * Which index rows a search looks at. The term is the user's raw text: each dialect tokenises it itself, so
 * characters that mean something to FTS5 or tsquery are never passed through as syntax.
 */
export interface SearchCriteria {
  term: string;
  /** Only these rooms (the caller has already limited them to rooms the user may search). */
  roomIds: readonly string[];
  /** Empty means every key. */
  keys: readonly SearchKey[];
  /** Only these event types (already resolved from the filter's wildcards); undefined means all. */
  types?: readonly string[];
  senders?: readonly string[];
  notSenders?: readonly string[];
  /** Only events at or below this `events` stream position: keeps a paginated search on one snapshot. */
  maxStreamOrdering: number;
}

/** Where a page of hits starts. */
export type SearchPage =
  | { order: 'recent'; /** Only hits strictly below this stream position (undefined: from the top). */ before?: number; limit: number }
  | { order: 'rank'; /** Hits to skip in rank order. */ offset: number; limit: number };

/** One matching, unredacted event. */
export interface SearchHit {
  eventId: string;
  roomId: string;
  sender: string;
  streamOrdering: number;
  /** Higher is more relevant (bm25 negated on SQLite, ts_rank on PostgreSQL). */
  rank: number;
  body: string;
}

export interface SearchStore {
  /** Adds entries to the index; an event already indexed is left as it is. */
  index(entries: readonly SearchEntry[]): Promise<void>;
  /** Removes these events from the index (redaction). Returns how many rows went. */
  remove(eventIds: readonly string[]): Promise<number>;
  /** Removes a whole room from the index (it turned end-to-end encrypted). Returns how many rows went. */
  removeRoom(roomId: string): Promise<number>;
  /**
   * One page of hits, in rank order (ties broken by newest first) or newest first. Events marked redacted in
   * the events table, and rooms whose current state has `m.room.encryption`, are never returned, even if
   * their index rows are still there.
   */
  search(criteria: SearchCriteria, page: SearchPage): Promise<SearchHit[]>;
  /** How many index rows match `criteria` (before the caller's per-event visibility checks). */
  count(criteria: SearchCriteria): Promise<number>;
  /**
   * The timeline neighbours of an event in its room by stream position: up to `before` event IDs before it
   * (nearest first) and `after` after it (nearest first). Outliers and rejected events are skipped.
   */
  neighbours(
    roomId: string,
    streamOrdering: number,
    limits: { before: number; after: number },
  ): Promise<{ before: string[]; after: string[] }>;
  /** The `m.room.member` event of `userId` in `roomId` most recent at or below `streamOrdering`, or null. */
  memberEventIdAt(roomId: string, userId: string, streamOrdering: number): Promise<string | null>;
}
