/**
 * Repository interface: Account data (global and per room, incl. tags), profiles, reports, the user directory.
 * Re-exported by storage/index.ts; implemented by knex/user-data.repo.ts for both dialects.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface UserDataStore {}
