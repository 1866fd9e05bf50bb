/**
 * Server-side key backup: /room_keys/version and /room_keys/keys.
 * This file is the domain's only public door: http/ and other domains import from here.
 *
 * The server stores what clients encrypted with the backup's public key and cannot read it; it sees only which
 * room and session a key belongs to and the three fields the replacement rules compare.
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-key-backups
 */
import type { CoreDeps } from '../deps.js';
import { createKeyBackupServiceImpl } from './service.js';
import type { KeyBackupService } from './types.js';

export type * from './types.js';
export { MEGOLM_BACKUP_V1 } from './types.js';

/** Builds the key-backup service. */
export function createKeyBackupService(deps: CoreDeps): KeyBackupService {
  return createKeyBackupServiceImpl(deps);
}
