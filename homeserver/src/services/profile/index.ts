/**
 * Profiles (displayname, avatar_url) and their propagation to member events; user directory.
 * This file is the domain's only public door: http/ and other domains import from here.
 */
import type { CoreDeps } from '../deps.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface ProfileService {}

export function createProfileService(_deps: CoreDeps): ProfileService {
  return {};
}
