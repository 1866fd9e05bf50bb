/**
 * /sync: tokens over every stream, filters, long-poll on the notifier, one provider per stream.
 * This file is the domain's only public door: http/ and other domains import from here.
 *
 * Sync reads the other domains through the ports in types.ts (`SyncSources`), which services/registry.ts fills
 * from their services. Tokens: `next_batch` is `s<events>_<receipts>_…` (token.ts); its `s<events>` prefix is also
 * a valid rooms pagination token, and `prev_batch` is the rooms domain's `s<position>` token.
 */
import type { CoreDeps } from '../deps.js';
import { createSyncServiceImpl, type SyncService } from './service.js';
import type { SyncOptions, SyncSources } from './types.js';

export type * from './types.js';
export type { SyncService } from './service.js';
export type { SyncFilter, EventFilter, RoomEventFilter } from './filter.js';
export { syncFilterSchema, roomEventFilterSchema, DEFAULT_TIMELINE_LIMIT } from './filter.js';
export { syncSourcesFrom, type SyncSourceServices } from './sources.js';
export { createOldSyncService, type OldSyncService } from './old-sync.js';
export type * from './old-types.js';
export { formatSyncToken, parseSyncToken, SYNC_STREAMS, type SyncToken } from './token.js';

/** Builds the sync service over the other domains' reads (`sources`, wired by the registry). */
export function createSyncService(deps: CoreDeps, sources: SyncSources, options: SyncOptions = {}): SyncService {
  return createSyncServiceImpl(deps, sources, options);
}
