/**
 * Server-side full-text search over message bodies (SQLite FTS5, PostgreSQL full-text).
 * This file is the domain's only public door: http/ and other domains import from here.
 */
import type { CoreDeps } from '../deps.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface SearchService {}

export function createSearchService(_deps: CoreDeps): SearchService {
  return {};
}
