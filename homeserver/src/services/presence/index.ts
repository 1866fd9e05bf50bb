/**
 * Presence and last-seen, with the per-user privacy setting.
 * This file is the domain's only public door: http/ and other domains import from here.
 *
 * - HTTP: `setStatus` / `getStatus` (PUT/GET /presence/{userId}/status).
 * - sync: `setPresenceFromSync(userId, set_presence)` per /sync request, `getChanges(userId, from, to)` for the
 *   `presence` section, `currentPosition()`.
 * - rooms (or the auth layer): `markActive(userId)` on pro-active actions such as sending an event.
 * - profile (account data): `privacyChanged(userId)` after `org.parley.presence_privacy` changes.
 *
 * Everyone who serves presence goes through this domain, which applies the privacy setting
 * (see spec/presence-privacy.md). Presence is stored in the database; the notifier carries wake-ups, addressed only
 * to users sharing a room with the user.
 * https://spec.matrix.org/v1.19/client-server-api/#presence
 */
import type { CoreDeps } from '../deps.js';
import { createPresenceServiceImpl } from './service.js';
import type { PresenceCallbacks, PresenceOptions, PresenceService } from './types.js';

export type * from './types.js';
export { PRESENCE_PRIVACY_TYPE, parsePresencePrivacy } from './privacy.js';

/** Builds the presence service; `callbacks` come from services/registry.ts. */
export function createPresenceService(deps: CoreDeps, callbacks: PresenceCallbacks, options: PresenceOptions = {}): PresenceService {
  return createPresenceServiceImpl(deps, callbacks, options);
}
