/**
 * /sync: tokens over every stream, filters, long-poll on the notifier, one provider per stream.
 * This file is the domain's only public door: http/ and other domains import from here.
 */
import type { CoreDeps } from '../deps.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface SyncService {}

export function createSyncService(_deps: CoreDeps): SyncService {
  return {};
}
