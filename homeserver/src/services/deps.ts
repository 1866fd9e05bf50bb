/**
 * What every domain service is built from. The composition root (main.ts) fills it; domains take the parts
 * they need. Cross-domain needs that would form an import cycle are passed as callbacks by services/registry.ts.
 */
import type { SigningKey } from '@parley/federation';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Notifier } from '../pubsub/index.js';
import type { Storage } from '../storage/index.js';
import type { BackgroundJobs } from './jobs/index.js';

export interface CoreDeps {
  config: Config;
  storage: Storage;
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
  /** Our server name, e.g. `example.org`. */
  serverName: string;
  /** The key our events and federation requests are signed with. */
  signingKey: SigningKey;
  /**
   * Claims on background jobs (sweeps, purges) shared with the other processes of the deployment. Absent: this
   * process is alone (unit tests) and holds every job, and the jobs that only a timer starts (the redaction purge)
   * do not run by themselves: tests call them.
   */
  jobs?: BackgroundJobs;
}
