/**
 * Durable readers of the `events` stream: the work derived from events that must survive a crash but need not be
 * in the event's own transaction (push counts, search index, device-list membership changes). Each reader stores
 * its position in `stream_readers` and commits its derived rows together with its new position, under the lock of
 * its position row, so an event is processed exactly once: after a crash, on startup and every poll interval, each
 * reader carries on from its position; a second process waits on the lock and then finds the work done.
 * This file is the domain's only public door.
 *
 * Wiring (services/registry.ts): domains register handlers; rooms calls {@link StreamReaders.catchUp} after each
 * commit and before the notifier publishes, so derived rows (unread counts) arrive in the same /sync as the event.
 * See spec/pipeline.md.
 */
import type { Logger } from '../../log.js';
import type { Storage, StoredEvent } from '../../storage/index.js';
import { createReaderRunner, type LoadedBatch, type ReaderRunner } from './runner.js';
import type { ReaderEvent, StreamReaders } from './types.js';

export type * from './types.js';

/** Events per reader transaction. */
export const DEFAULT_BATCH_SIZE = 100;
export interface StreamReadersOptions {
  batchSize?: number;
  /**
   * Poll for work this often (default: never; tests of the framework). Event writes write the derived rows
   * themselves and move every reader's position in the same transaction, so nothing is ever left for a poll.
   */
  pollIntervalMs?: number;
}

export function createStreamReaders(deps: { storage: Storage; logger: Logger }, options: StreamReadersOptions = {}): StreamReaders {
  const { storage, logger } = deps;
  const runners: ReaderRunner[] = [];
  const roomVersions = new Map<string, string>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  /** Room versions never change; state snapshots come from the events' recorded state references. */
  async function describe(events: readonly StoredEvent[]): Promise<ReaderEvent[]> {
    for (const roomId of new Set(events.map((event) => event.roomId))) {
      if (roomVersions.has(roomId)) continue;
      const room = await storage.rooms.getRoom(roomId);
      if (room !== null) roomVersions.set(roomId, room.roomVersion);
    }
    const refs = await storage.roomState.getEventState(events.map((event) => event.eventId));
    return events.map((event) => ({
      event,
      roomVersion: roomVersions.get(event.roomId) ?? '',
      stateGroup: refs.get(event.eventId)?.afterGroup,
    }));
  }

  /** Loads in flight, by position and size: readers at the same position share one read of the events. */
  const loads = new Map<string, Promise<LoadedBatch>>();
  function load(from: number, batchSize: number): Promise<LoadedBatch> {
    const key = `${from}:${batchSize}`;
    const shared = loads.get(key);
    if (shared !== undefined) return shared;
    const loading = storage.events.getEventsAfter(from, batchSize).then((stored): LoadedBatch => {
      let described: Promise<ReaderEvent[]> | undefined;
      return { stored, described: () => (described ??= describe(stored)) };
    });
    loads.set(key, loading);
    // Shared only by the readers that ask while it is in flight: a later ask reads again and sees newer commits.
    const forget = (): void => {
      if (loads.get(key) === loading) loads.delete(key);
    };
    void loading.then(forget, forget);
    return loading;
  }

  const catchUp = async (upTo = Number.POSITIVE_INFINITY): Promise<void> => {
    if (closed) return;
    await Promise.all(runners.map((runner) => runner.runUntil(upTo)));
  };

  return {
    register(handler) {
      if (runners.some((runner) => runner.name === handler.name)) throw new Error(`stream reader "${handler.name}" registered twice`);
      runners.push(createReaderRunner(handler, { storage, logger, batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE, load }));
    },
    catchUp,
    start() {
      if (timer !== null || closed) return;
      void catchUp();
      if (options.pollIntervalMs === undefined) return;
      timer = setInterval(() => void catchUp(), options.pollIntervalMs);
      timer.unref();
    },
    async markProcessed(tx, position) {
      await tx.streamReaders.markProcessed(runners.map((runner) => runner.name), position);
    },
    async close() {
      closed = true;
      if (timer !== null) clearInterval(timer);
      timer = null;
      await Promise.all(runners.map((runner) => runner.idle()));
    },
  };
}
