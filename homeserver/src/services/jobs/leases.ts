/**
 * Lease-based claims on background jobs. Every process tries each job's lease at start and every `ttl / 3`; the
 * holder's renewal keeps it, anyone takes an expired or released one (storage/leases.ts: one atomic statement).
 *
 * Safety: a holder trusts its lease only until one renewal period before the expiry it wrote, so a holder whose
 * renewals fail (database unreachable, event loop stalled) stops running jobs before anyone else may take over.
 * This assumes the processes' clocks agree to within that period (ttl / 3). SQLite serves one process: its lease
 * is always this process's, through the same table.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { JobLeaseStore } from '../../storage/index.js';
import type { BackgroundJobs, BackgroundJobsOptions, JobClaim, JobHandlers } from './types.js';

interface JobState {
  claim: JobClaim;
  handlers: JobHandlers;
  /** This process trusts its lease until then (0: not held). */
  trustedUntil: number;
}

export function createBackgroundJobs(
  deps: { leases: JobLeaseStore; clock: Clock; logger: Logger },
  options: BackgroundJobsOptions,
): BackgroundJobs {
  const log = deps.logger.child({ component: 'jobs' });
  const instanceId = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const ttl = options.leaseTtlMs;
  const renewEvery = Math.max(1, Math.floor(ttl / 3));
  const jobs = new Map<string, JobState>();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  async function renew(state: JobState): Promise<void> {
    const now = deps.clock.now();
    const wasHeld = state.claim.held();
    let acquired = false;
    try {
      acquired = await deps.leases.acquire(state.claim.name, instanceId, { now, expiresTs: now + ttl });
    } catch (error) {
      log.warn({ err: error, job: state.claim.name }, 'renewing a job lease failed');
      return;
    }
    if (closed) return;
    state.trustedUntil = acquired ? now + ttl - renewEvery : 0;
    if (acquired && !wasHeld) {
      log.info({ job: state.claim.name, instanceId }, 'holding background job');
      state.handlers.onClaimed?.();
    } else if (!acquired && wasHeld) {
      log.warn({ job: state.claim.name, instanceId }, 'lost background job to another process');
    }
  }

  function startTimer(): void {
    if (timer !== undefined || closed) return;
    timer = setInterval(() => {
      for (const state of jobs.values()) void renew(state);
    }, renewEvery);
    timer.unref();
  }

  return {
    instanceId,
    register(name, handlers = {}) {
      if (jobs.has(name)) throw new Error(`background job ${name} registered twice`);
      const state: JobState = {
        handlers,
        trustedUntil: 0,
        claim: {
          name,
          held: () => !closed && deps.clock.now() < state.trustedUntil,
          async runIfHeld(work) {
            if (!state.claim.held()) return undefined;
            log.debug({ job: name, instanceId }, 'background job ran');
            return work();
          },
        },
      };
      jobs.set(name, state);
      startTimer();
      void renew(state);
      return state.claim;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      const held = [...jobs.values()].filter((state) => deps.clock.now() < state.trustedUntil);
      await Promise.allSettled(held.map((state) => deps.leases.release(state.claim.name, instanceId)));
    },
  };
}

/**
 * The claims of a process that is alone by construction (unit tests, tools): every job is always held here, and
 * `onClaimed` never fires (the process starts its jobs from its own activity, as there is nobody to take over from).
 */
export function soleProcessJobs(): BackgroundJobs {
  return {
    instanceId: 'sole-process',
    register(name) {
      return { name, held: () => true, runIfHeld: (work) => work() };
    },
    async close() {},
  };
}
