/**
 * The Client-Server route table of every domain, mounted by app.ts in one flat table. Each area's routes live
 * in http/client/<area>.ts and take the services they call.
 */
import type { Services } from '../services/registry.js';
import type { AnyRoute } from './route.js';

export function clientRoutes(_services: Services): AnyRoute[] {
  return [];
}
