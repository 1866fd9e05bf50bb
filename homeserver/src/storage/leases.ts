/**
 * Leases on background jobs: with several processes on one database, the holder of a job's lease is the one
 * process that runs it. Times are the holders' clocks (milliseconds since the epoch).
 */

/** Who holds a job's lease and until when. */
export interface JobLease {
  name: string;
  holder: string;
  expiresTs: number;
}

export interface JobLeaseStore {
  /**
   * Takes or renews the lease of `name` for `holder` until `expiresTs`: succeeds when nobody holds it, when
   * `holder` already does, or when the current lease expired at or before `now`. One atomic statement, so two
   * processes racing for an expired lease cannot both win. Returns whether `holder` holds it now.
   */
  acquire(name: string, holder: string, options: { now: number; expiresTs: number }): Promise<boolean>;
  /** Gives the lease up (if `holder` holds it), so another process may take it at once. */
  release(name: string, holder: string): Promise<void>;
  /** The current lease of `name`, expired or not; null when nobody ever took it or it was released. */
  get(name: string): Promise<JobLease | null>;
}
