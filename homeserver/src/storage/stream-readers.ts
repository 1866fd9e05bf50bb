/**
 * Repository interface: the positions of the durable readers of the `events` stream (push counts, search index,
 * device-list membership changes). Re-exported by storage/index.ts; implemented by knex/stream-readers.repo.ts.
 */

export interface StreamReaderStore {
  /** The reader's committed position: every event at or below it has been processed (0: none yet). */
  position(reader: string): Promise<number>;
  /**
   * Claims the reader for the surrounding transaction and returns its position: the reader's row is created at 0
   * if missing, then locked (PostgreSQL `SELECT … FOR UPDATE`: a second process waits here until the first
   * commits; SQLite has one writer anyway). Call only inside {@link Storage.transaction}.
   */
  claim(reader: string): Promise<number>;
  /** Moves the reader to `position`, in the transaction that claimed it. */
  advance(reader: string, position: number): Promise<void>;
  /**
   * Sets every named reader to `position` (rows created when missing), in one statement: called by the transaction
   * that wrote the readers' rows itself, so that no reader processes those events again.
   */
  markProcessed(readers: readonly string[], position: number): Promise<void>;
}
