/**
 * Background jobs (sweeps, purges) claimed by exactly one process of a deployment: the holder of the job's lease
 * in the database runs it, renews the lease, and another process takes it over once it expires or is released.
 */

/** One job's claim, as this process sees it. */
export interface JobClaim {
  readonly name: string;
  /** Whether this process holds the lease now (and will for at least one renewal period). */
  held(): boolean;
  /** Runs `work` if this process holds the lease (logged at debug as one run of the job), else does nothing. */
  runIfHeld<T>(work: () => Promise<T>): Promise<T | undefined>;
}

export interface JobHandlers {
  /** Called when this process takes the lease (at start-up or taking over from a stopped process). */
  onClaimed?(): void;
}

export interface BackgroundJobs {
  /** This process's holder ID in the leases table. */
  readonly instanceId: string;
  /** Declares a job; its lease is tried at once and then on every renewal. Names are unique per deployment. */
  register(name: string, handlers?: JobHandlers): JobClaim;
  /** Stops renewing and releases every lease held, so another process takes over without waiting. */
  close(): Promise<void>;
}

export interface BackgroundJobsOptions {
  /** How long a lease lasts without renewal; renewed every third of it. */
  leaseTtlMs: number;
  /** Defaults to `<hostname>-<pid>-<random>`. */
  instanceId?: string;
}
