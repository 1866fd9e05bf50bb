/**
 * Repository interface: Server-side room key backup versions and sessions.
 * Re-exported by storage/index.ts; implemented by knex/key-backup.repo.ts for both dialects.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface KeyBackupStore {}
