/**
 * Repository interface: The full-text index of message bodies.
 * Re-exported by storage/index.ts; implemented by knex/search.repo.ts for both dialects.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface SearchStore {}
