/**
 * Third-party networks: the protocols application services bridge to, and lookups of their portal rooms and users.
 * https://spec.matrix.org/v1.19/client-server-api/#third-party-networks
 *
 * No application service declares a protocol yet, so the list is empty and every lookup finds nothing.
 */
import { MatrixError } from '../../matrix-error.js';
import { defineRoute, type AnyRoute } from '../route.js';

const PREFIX = '/_matrix/client/v3/thirdparty';

function notFound(what: string): never {
  throw new MatrixError(404, 'M_NOT_FOUND', what);
}

export function thirdPartyRoutes(): AnyRoute[] {
  return [
    /**
     * GET /_matrix/client/v3/thirdparty/protocols
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3thirdpartyprotocols
     */
    defineRoute({ method: 'GET', path: `${PREFIX}/protocols`, auth: 'user', handler: () => ({}) }),
    /**
     * GET /_matrix/client/v3/thirdparty/protocol/{protocol}: 404 "The protocol is unknown".
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3thirdpartyprotocolprotocol
     */
    defineRoute({ method: 'GET', path: `${PREFIX}/protocol/:protocol`, auth: 'user', handler: () => notFound('The protocol is unknown') }),
    /**
     * GET /_matrix/client/v3/thirdparty/location/{protocol}: 404 "No portals were found".
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3thirdpartylocationprotocol
     */
    defineRoute({ method: 'GET', path: `${PREFIX}/location/:protocol`, auth: 'user', handler: () => notFound('No portals were found') }),
    /**
     * GET /_matrix/client/v3/thirdparty/user/{protocol}: 404 "No users were found".
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3thirdpartyuserprotocol
     */
    defineRoute({ method: 'GET', path: `${PREFIX}/user/:protocol`, auth: 'user', handler: () => notFound('No users were found') }),
    /**
     * GET /_matrix/client/v3/thirdparty/location?alias=: 404 "No portals were found".
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3thirdpartylocation
     */
    defineRoute({ method: 'GET', path: `${PREFIX}/location`, auth: 'user', handler: () => notFound('No portals were found') }),
    /**
     * GET /_matrix/client/v3/thirdparty/user?userid=: 404 "No users were found".
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3thirdpartyuser
     */
    defineRoute({ method: 'GET', path: `${PREFIX}/user`, auth: 'user', handler: () => notFound('No users were found') }),
  ];
}
