/**
 * Repository interface: Device keys, one-time and fallback keys, cross-signing keys and signatures, device-list change log.
 * Re-exported by storage/index.ts; implemented by knex/e2ee.repo.ts for both dialects.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface E2eeStore {}
