/**
 * Repository interface: Sync filters (/user/{userId}/filter) and anything sync itself must persist.
 * Re-exported by storage/index.ts; implemented by knex/sync.repo.ts for both dialects.
 */

/** A stored filter. https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3useruseridfilter */
export interface StoredFilter {
  filterId: string;
  userId: string;
  /** The filter JSON as uploaded (validated). */
  json: string;
}

export interface SyncStore {
  /**
   * Stores a user's filter and returns its ID. A filter with the same `digest` (of its canonical JSON) the
   * user already stored is returned instead of a new row: clients upload the same filter at every start.
   * IDs are decimal strings (never starting with `{`, which marks inline filters).
   */
  saveFilter(userId: string, json: string, digest: string): Promise<string>;
  /** The user's filter with this ID, or null (unknown, or another user's). */
  getFilter(userId: string, filterId: string): Promise<StoredFilter | null>;
  /**
   * Of `roomIds`, those with an accepted, non-outlier event at a stream position in `(from, to]`: how an
   * incremental sync finds the few rooms that changed among the many a user is in, with one indexed query.
   */
  getRoomsWithEvents(roomIds: readonly string[], from: number, to: number): Promise<Set<string>>;
  /**
   * Of `roomIds`, those with an event in `(from, to]` that a sync timeline does not show as new (historical) or
   * whose persisting changed the current state by state resolution: their state section needs the changes.
   */
  getRoomsWithHiddenStateChanges(roomIds: readonly string[], from: number, to: number): Promise<Set<string>>;
}
