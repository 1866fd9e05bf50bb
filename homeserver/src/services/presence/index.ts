/**
 * Presence and last-seen, with the per-user privacy setting.
 * This file is the domain's only public door: http/ and other domains import from here.
 */
import type { CoreDeps } from '../deps.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface PresenceService {}

export function createPresenceService(_deps: CoreDeps): PresenceService {
  return {};
}
