/**
 * Publishing this server's signing keys.
 */
import type { ServerKeys } from '../../services/federation/index.js';
import { defineRoute, type AnyRoute } from '../route.js';

/**
 * GET /_matrix/key/v2/server
 * https://spec.matrix.org/v1.19/server-server-api/#get_matrixkeyv2server
 *
 * Also answers the old `/_matrix/key/v2/server/{keyId}` form with the same document.
 */
export function federationKeyRoutes(serverKeys: ServerKeys): AnyRoute[] {
  const handler = (): unknown => serverKeys.keyDocument();
  return [
    defineRoute({ method: 'GET', path: '/_matrix/key/v2/server', auth: 'none', handler }),
    // NOTSPEC: {keyId} was removed in v1.6 (MSC3938) and ignored before; older servers still request it.
    defineRoute({ method: 'GET', path: '/_matrix/key/v2/server/:keyId', auth: 'none', handler }),
  ];
}
