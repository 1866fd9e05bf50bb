/**
 * Server-side key backup: /room_keys/version and /room_keys/keys.
 * This file is the domain's only public door: http/ and other domains import from here.
 */
import type { CoreDeps } from '../deps.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface KeyBackupService {}

export function createKeyBackupService(_deps: CoreDeps): KeyBackupService {
  return {};
}
