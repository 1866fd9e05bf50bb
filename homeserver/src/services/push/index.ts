/**
 * Push rules (default ruleset, CRUD), their evaluation, notification counts and /notifications.
 * This file is the domain's only public door: http/ and other domains import from here.
 */
import type { CoreDeps } from '../deps.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface PushService {}

export function createPushService(_deps: CoreDeps): PushService {
  return {};
}
