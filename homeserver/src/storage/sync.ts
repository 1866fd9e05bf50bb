/**
 * Repository interface: Sync filters (/user/{userId}/filter) and anything sync itself must persist.
 * Re-exported by storage/index.ts; implemented by knex/sync.repo.ts for both dialects.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface SyncStore {}
