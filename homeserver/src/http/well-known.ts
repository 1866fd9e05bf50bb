/**
 * Discovery documents served at the server name's host.
 */
import type { Config } from '../config/schema.js';
import { defineRoute, type AnyRoute } from './route.js';

export type WellKnownConfig = Pick<Config, 'public_baseurl' | 'well_known'>;

/**
 * GET /.well-known/matrix/client
 * https://spec.matrix.org/v1.19/client-server-api/#getwell-knownmatrixclient
 *
 * GET /.well-known/matrix/server
 * https://spec.matrix.org/v1.19/server-server-api/#getwell-knownmatrixserver
 */
export function wellKnownRoutes(config: WellKnownConfig): AnyRoute[] {
  const clientBody = { 'm.homeserver': { base_url: config.well_known.client_base_url ?? config.public_baseurl } };
  const serverBody = { 'm.server': config.well_known.server_delegation ?? hostAndPort(config.public_baseurl) };
  return [
    defineRoute({ method: 'GET', path: '/.well-known/matrix/client', auth: 'none', handler: () => clientBody }),
    defineRoute({ method: 'GET', path: '/.well-known/matrix/server', auth: 'none', handler: () => serverBody }),
  ];
}

/** `host:port` of a URL, with the scheme's default port made explicit (federation otherwise assumes 8448). */
export function hostAndPort(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  return `${parsed.hostname}:${port}`;
}
