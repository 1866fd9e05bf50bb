/**
 * Rooms: the one PDU pipeline (build, auth, persist, state), creation, membership, sending, state, redaction, history reads.
 * This file is the domain's only public door: http/ and other domains import from here.
 */
import type { CoreDeps } from '../deps.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface RoomsService {}

export function createRoomsService(_deps: CoreDeps): RoomsService {
  return {};
}
