/**
 * The `to_device`, `device_lists` and `key_counts` stream providers. The end-to-end encryption domain does not
 * exist yet: the sections are sent empty (clients expect their shapes) and the positions still advance.
 * https://spec.matrix.org/v1.19/client-server-api/#extensions-to-sync
 * https://spec.matrix.org/v1.19/client-server-api/#e2e-extensions-to-sync
 */
import type { SyncContext } from '../context.js';

export function collectDeviceStreams(_context: SyncContext): Promise<void> {
  // The empty shapes are already in the response (see emptyResponse): nothing to add until the E2EE domain.
  return Promise.resolve();
}
