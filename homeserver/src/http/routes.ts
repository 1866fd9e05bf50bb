/**
 * The Client-Server route table of every domain, mounted by app.ts in one flat table. Each area's routes live
 * in http/client/<area>.ts and take the services they call.
 */
import type { Services } from '../services/registry.js';
import type { AnyRoute } from './route.js';
import { presenceRoutes } from './client/presence.js';
import { readMarkersRoutes } from './client/read-markers.js';
import { receiptsRoutes } from './client/receipts.js';
import { typingRoutes } from './client/typing.js';
import { accountRoutes } from './client/account.js';
import { capabilitiesRoutes } from './client/capabilities.js';
import { devicesRoutes } from './client/devices.js';
import { loginRoutes } from './client/login.js';
import { accountDataRoutes } from './client/account-data.js';
import { profileRoutes } from './client/profile.js';
import { reportsRoutes } from './client/reports.js';
import { searchRoutes } from './client/search.js';
import { tagsRoutes } from './client/tags.js';
import { userDirectoryRoutes } from './client/user-directory.js';
import { notificationsRoutes } from './client/notifications.js';
import { pushRulesRoutes } from './client/pushrules.js';
import { filterRoutes } from './client/filter.js';
import { syncRoutes } from './client/sync.js';
import { oldSyncRoutes } from './client/old-sync.js';
import { roomsRoutes } from './client/rooms.js';
import { membershipRoutes } from './client/membership.js';
import { sendRoutes } from './client/send.js';
import { directoryRoutes } from './client/directory.js';
import { relationsRoutes } from './client/relations.js';
import { upgradeRoutes } from './client/upgrade.js';
import { keysRoutes } from './client/keys.js';
import { keyBackupRoutes } from './client/key-backup.js';
import { toDeviceRoutes } from './client/to-device.js';
import { adminRoutes } from './client/admin.js';
import { openIdRoutes } from './client/openid.js';
import { thirdPartyRoutes } from './client/thirdparty.js';
import { federationOpenIdRoutes } from './federation/openid.js';

export function clientRoutes(services: Services): AnyRoute[] {
  return [
    ...roomsRoutes(services), ...membershipRoutes(services), ...sendRoutes(services),
    ...relationsRoutes(services), ...directoryRoutes(services), ...upgradeRoutes(services),
    ...typingRoutes(services), ...receiptsRoutes(services), ...readMarkersRoutes(services), ...presenceRoutes(services),
    ...accountRoutes(services), ...loginRoutes(services), ...devicesRoutes(services), ...capabilitiesRoutes(services),
    ...profileRoutes(services), ...accountDataRoutes(services), ...tagsRoutes(services), ...userDirectoryRoutes(services), ...reportsRoutes(services),
    ...searchRoutes(services),
    ...pushRulesRoutes(services), ...notificationsRoutes(services),
    ...syncRoutes(services), ...oldSyncRoutes(services), ...filterRoutes(services),
    ...keysRoutes(services),
    ...keyBackupRoutes(services),
    ...toDeviceRoutes(services),
    ...adminRoutes(services), ...openIdRoutes(services), ...thirdPartyRoutes(),
  ];
}

/** The Server-Server routes that need domain services (keys and version are mounted by app.ts). */
export function federationRoutes(services: Services): AnyRoute[] {
  return [...federationOpenIdRoutes(services.accounts)];
}
