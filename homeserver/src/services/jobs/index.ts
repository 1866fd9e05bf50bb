/**
 * The jobs domain's public door: background jobs claimed by exactly one process through database leases.
 */
export type { BackgroundJobs, BackgroundJobsOptions, JobClaim, JobHandlers } from './types.js';
export { createBackgroundJobs, soleProcessJobs } from './leases.js';

import type { BackgroundJobs, JobClaim, JobHandlers } from './types.js';
import { soleProcessJobs as sole } from './leases.js';

/** Registers `name` with the deployment's job claims, or holds it alone when the deps carry none (unit tests). */
export function claimJob(deps: { jobs?: BackgroundJobs }, name: string, handlers?: JobHandlers): JobClaim {
  return (deps.jobs ?? sole()).register(name, handlers);
}
