/**
 * Repository interface: Users, password hashes, devices, access and refresh tokens (hashed), UIA sessions, registration tokens, account data, filters, profiles.
 * Re-exported by storage/index.ts; implemented by knex/accounts.repo.ts for both dialects.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface AccountStore {}
