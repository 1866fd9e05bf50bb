/**
 * Repository interface: Push rules per user, notification records and unread counts.
 * Re-exported by storage/index.ts; implemented by knex/push.repo.ts for both dialects.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface PushStore {}
