/**
 * Builds every domain service and wires the cross-domain callbacks (hooks that would otherwise be import cycles).
 * Called once by the composition root.
 */
import type { CoreDeps } from './deps.js';
import { createAccountsService, type AccountsService } from './accounts/index.js';
import { createPresenceService, type PresenceService } from './presence/index.js';
import { createProfileService, type ProfileService } from './profile/index.js';
import { createPushService, type PushService } from './push/index.js';
import { createReceiptsService, type ReceiptsService } from './receipts/index.js';
import { createRoomsService, type RoomsService } from './rooms/index.js';
import { createSearchService, type SearchService } from './search/index.js';
import { createSyncService, type SyncService } from './sync/index.js';
import { createTypingService, type TypingService } from './typing/index.js';

export type { CoreDeps } from './deps.js';

export interface Services {
  accounts: AccountsService;
  rooms: RoomsService;
  sync: SyncService;
  typing: TypingService;
  receipts: ReceiptsService;
  presence: PresenceService;
  push: PushService;
  search: SearchService;
  profile: ProfileService;
}

export function createServices(deps: CoreDeps): Services {
  const accounts = createAccountsService(deps);
  const rooms = createRoomsService(deps);
  const typing = createTypingService(deps);
  const receipts = createReceiptsService(deps);
  const presence = createPresenceService(deps);
  const push = createPushService(deps);
  const search = createSearchService(deps);
  const profile = createProfileService(deps);
  const sync = createSyncService(deps);
  return { accounts, rooms, sync, typing, receipts, presence, push, search, profile };
}
