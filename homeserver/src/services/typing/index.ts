/**
 * Typing notifications (ephemeral, per room, with timeouts).
 * This file is the domain's only public door: http/ and other domains import from here.
 */
import type { CoreDeps } from '../deps.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface TypingService {}

export function createTypingService(_deps: CoreDeps): TypingService {
  return {};
}
