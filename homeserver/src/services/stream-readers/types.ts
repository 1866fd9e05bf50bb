/**
 * What a domain gives the stream-reader framework: a name and the two steps of processing a batch of events.
 */
import type { Storage, StoredEvent } from '../../storage/index.js';

/** One event as a reader sees it. */
export interface ReaderEvent {
  event: StoredEvent;
  /** The room's version. */
  roomVersion: string;
  /** The state snapshot after the event (`storage.roomState.getStateGroup`); undefined when none was recorded. */
  stateGroup?: number;
}

/**
 * A durable reader of the `events` stream. `prepare` reads (on the pool, no transaction open) and computes what to
 * write; `write` writes it in the reader's transaction, which also moves the reader's position past the batch, so
 * a batch's derived rows are committed exactly once. `write` must use only the `tx` it is given and write only its
 * domain's tables; events of a batch are in stream order and `write` must apply their effects in that order.
 */
export interface StreamReaderHandler<P> {
  /** Unique and stable: the key of the reader's position row (`stream_readers.name`). */
  name: string;
  prepare(events: readonly ReaderEvent[]): Promise<P>;
  /** May return work to run once the transaction committed (e.g. a notifier publish); its failure is only logged. */
  write(tx: Storage, prepared: P): Promise<AfterCommit | void>;
}

/** Best-effort work after a reader's transaction committed. */
export type AfterCommit = () => Promise<void>;

export interface StreamReaders {
  /** Adds a reader; call before {@link start}. */
  register<P>(handler: StreamReaderHandler<P>): void;
  /**
   * Runs every reader until it has processed stream position `upTo` (default: whatever is committed now).
   * Concurrent calls share runs. Never throws: a failing batch is logged and retried at the next call.
   */
  catchUp(upTo?: number): Promise<void>;
  /**
   * Catches up once, in the background: the derived rows an older version (which wrote them after commit) had not
   * written yet. Today's event writes write them in the event's transaction and call {@link markProcessed}.
   */
  start(): void;
  /** In an event write's transaction: every reader has processed everything up to `position`. */
  markProcessed(tx: Storage, position: number): Promise<void>;
  /** Stops the timer and waits for runs in flight. */
  close(): Promise<void>;
}
