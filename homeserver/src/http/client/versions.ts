/**
 * Spec versions this server speaks.
 */
import { defineRoute, type AnyRoute } from '../route.js';

/**
 * Every Client-Server API version up to the one we implement, as the spec's historical list and changelog name
 * them (r0.0.0 is not advertised: it predates the versions endpoint).
 */
export const SUPPORTED_CLIENT_VERSIONS: readonly string[] = [
  'r0.0.1',
  'r0.1.0',
  'r0.2.0',
  'r0.3.0',
  'r0.4.0',
  'r0.5.0',
  'r0.6.0',
  'r0.6.1',
  ...Array.from({ length: 19 }, (_, index) => `v1.${index + 1}`),
];

/**
 * Unstable features this server supports, advertised in `/versions` so clients can detect them. The one place to
 * list them: each feature adds its flag here, with the page in spec/ that documents it.
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientversions
 */
export const UNSTABLE_FEATURES: Readonly<Record<string, boolean>> = {
  // MSC4089 delivery receipts (`org.matrix.msc4089.delivery`): see spec/receipts-delivery.md.
  'org.matrix.msc4089': true,
};

/**
 * GET /_matrix/client/versions
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientversions
 */
export function versionsRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/versions',
      auth: 'none',
      handler: () => ({ versions: SUPPORTED_CLIENT_VERSIONS, unstable_features: UNSTABLE_FEATURES }),
    }),
  ];
}
