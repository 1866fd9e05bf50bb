/**
 * To-device messaging: /sendToDevice, per-device queues delivered in sync and deleted once acknowledged.
 * This file is the domain's only public door: http/ and other domains import from here.
 */
import type { CoreDeps } from '../deps.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface ToDeviceService {}

export function createToDeviceService(_deps: CoreDeps): ToDeviceService {
  return {};
}
