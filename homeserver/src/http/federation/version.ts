/**
 * The implementation name and version, for other servers' diagnostics.
 */
import { defineRoute, type AnyRoute } from '../route.js';

export interface ServerSoftware {
  name: string;
  version: string;
}

/**
 * GET /_matrix/federation/v1/version
 * https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1version
 */
export function federationVersionRoutes(software: ServerSoftware): AnyRoute[] {
  const body = { server: { name: software.name, version: software.version } };
  return [defineRoute({ method: 'GET', path: '/_matrix/federation/v1/version', auth: 'none', handler: () => body })];
}
