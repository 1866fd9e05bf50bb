/**
 * State resolution for any room version: picks the algorithm the room version names.
 * https://spec.matrix.org/v1.19/rooms/#state-resolution
 */
import { authorizeEvent } from '../auth/rules.js';
import { resolveStateV1 } from './v1.js';
import { resolveStateV2 } from './v2.js';
import type { ResolveStateInput } from './types.js';

/**
 * Resolves a set of room states into one, with state resolution v1 (room version 1), v2 (2-11) or v2.1
 * (12), per `roomVersion.stateResolution`. Returns `stateKeyString(type, stateKey)` → event ID.
 * https://spec.matrix.org/v1.19/rooms/v2/#state-resolution
 */
export async function resolveState(input: ResolveStateInput): Promise<Map<string, string>> {
  const authorize = input.authorize ?? authorizeEvent;
  const args = { ...input, authorize };
  switch (input.roomVersion.stateResolution) {
    case 'v1':
      return resolveStateV1(args);
    case 'v2':
    case 'v2.1':
      return resolveStateV2(args);
  }
}
