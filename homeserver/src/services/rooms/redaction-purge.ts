/**
 * The redaction purge: once a redaction is older than `rooms.redaction_retention_ms`, the stored original of its
 * target is replaced by the redacted form, so the removed content really leaves the database. A background job
 * (one process of the deployment runs it: services/jobs), never part of a /redact request.
 */
import { redactEvent, type JsonObject, type Pdu } from '@parley/federation';
import { claimJob } from '../jobs/index.js';
import { requireRoomVersion, type RoomsContext } from './context.js';

/** How often the purge looks for expired retentions: every minute, every second for retentions under a minute. */
export function purgeIntervalMs(retentionMs: number): number {
  return retentionMs < 60_000 ? 1_000 : 60_000;
}

/** Events purged per batch; a run repeats batches until none are left. */
const BATCH = 100;

/**
 * Replaces the stored originals of events whose redaction is older than the retention window by their redacted
 * form. Returns how many were purged.
 */
export async function purgeExpiredRedactions(ctx: RoomsContext, batch = BATCH): Promise<number> {
  const { storage } = ctx.deps;
  const expired = await storage.roomState.expiredRedactions(ctx.deps.clock.now(), batch);
  if (expired.length === 0) return 0;
  const events = await storage.events.getEvents(expired);
  await storage.transaction(async (tx) => {
    for (const event of events) {
      const version = await requireRoomVersion(ctx, tx, event.roomId);
      await tx.events.replaceEventJson(event.eventId, redactEvent(event.pdu as JsonObject, version) as Pdu);
    }
    await tx.roomState.clearRedactionRetention(expired);
  });
  return events.length;
}

/** Starts the purge job (an unref'd timer; runs only while this process holds the job). */
export function startRedactionPurge(ctx: RoomsContext): { stop(): void } {
  const log = ctx.deps.logger.child({ component: 'redaction-purge' });
  const job = claimJob(ctx.deps, 'redaction-purge');
  let running = false;
  const timer = setInterval(() => {
    if (running || !job.held()) return;
    running = true;
    void job
      .runIfHeld(async () => {
        let purged = 0;
        for (let count = BATCH; count === BATCH; purged += count) count = await purgeExpiredRedactions(ctx);
        if (purged > 0) log.info({ purged }, 'purged the originals of redacted events');
      })
      .catch((error: unknown) => log.warn({ err: error }, 'redaction purge failed'))
      .finally(() => {
        running = false;
      });
  }, purgeIntervalMs(ctx.redactionRetentionMs));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
