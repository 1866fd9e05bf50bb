/**
 * Repository interface: Receipts (incl. MSC4089 delivery receipts), read markers and presence.
 * Re-exported by storage/index.ts; implemented by knex/ephemeral.repo.ts for both dialects.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface EphemeralStore {}
