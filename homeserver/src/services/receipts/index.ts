/**
 * Read receipts (m.read, m.read.private, threaded), read markers, and MSC4089 delivery receipts.
 * This file is the domain's only public door: http/ and other domains import from here.
 */
import type { CoreDeps } from '../deps.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface ReceiptsService {}

export function createReceiptsService(_deps: CoreDeps): ReceiptsService {
  return {};
}
