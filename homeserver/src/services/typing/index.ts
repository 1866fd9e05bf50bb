/**
 * Typing notifications (ephemeral, per room, with timeouts).
 * This file is the domain's only public door: http/ and other domains import from here.
 *
 * Typing state lives in the database (`typing`, `typing_rooms`), so every process sees it; each change of a room's
 * typing list takes a `typing` stream position and is published on the notifier with the room ID.
 *
 * For sync: `getChanges(userId, from, to, roomIds)` gives the `m.typing` EDU of each room whose typing list changed
 * in `(from, to]`, and `currentPosition()` the stream's head.
 * https://spec.matrix.org/v1.19/client-server-api/#typing-notifications
 */
import type { CoreDeps } from '../deps.js';
import { createTypingServiceImpl } from './service.js';
import type { TypingCallbacks, TypingOptions, TypingService } from './types.js';

export type * from './types.js';

/** Builds the typing service; `callbacks` come from services/registry.ts. */
export function createTypingService(deps: CoreDeps, callbacks: TypingCallbacks, options: TypingOptions = {}): TypingService {
  return createTypingServiceImpl(deps, callbacks, options);
}
