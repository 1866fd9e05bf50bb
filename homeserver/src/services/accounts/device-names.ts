/**
 * Device display names are shown to every user who shares a room with their owner (in device lists and key
 * verification), so their length is bounded by `limits.device_display_name_max_length`.
 * https://spec.matrix.org/v1.19/client-server-api/#device-management
 */
import { MatrixError } from '../../matrix-error.js';
import type { AccountsContext } from './context.js';

/** Throws 400 `M_TOO_LARGE` when `displayName` has more characters (code points) than the limit. */
export function checkDeviceDisplayName(context: Pick<AccountsContext, 'config'>, displayName: string | undefined | null): void {
  if (displayName === undefined || displayName === null) return;
  const max = context.config.limits.device_display_name_max_length;
  // NOTSPEC: the spec sets no length for device names; 400 M_TOO_LARGE (the spec's "entity too large" code).
  if ([...displayName].length > max) throw new MatrixError(400, 'M_TOO_LARGE', `Device display names are at most ${max} characters`);
}
