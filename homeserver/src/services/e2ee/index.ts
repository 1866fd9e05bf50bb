/**
 * End-to-end encryption support: device keys, one-time/fallback keys, /keys/query, /keys/claim, /keys/changes, device-list tracking, cross-signing.
 * This file is the domain's only public door: http/ and other domains import from here.
 */
import type { CoreDeps } from '../deps.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface E2eeService {}

export function createE2eeService(_deps: CoreDeps): E2eeService {
  return {};
}
