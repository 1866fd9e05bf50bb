/**
 * Login, token refresh and logout.
 * https://spec.matrix.org/v1.19/client-server-api/#login
 */
import { z } from 'zod';
import type { LoginIdentifier } from '../../services/accounts/index.js';
import type { Services } from '../../services/registry.js';
import { requestOrigin } from '../middleware/auth.js';
import { rateLimited } from '../middleware/rate-limit.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { sessionJson } from './account.js';

const CLIENT_V3 = '/_matrix/client/v3';

/** The string fields each known identifier type needs. https://spec.matrix.org/v1.19/client-server-api/#identifier-types */
const IDENTIFIER_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'm.id.user': ['user'],
  'm.id.thirdparty': ['medium', 'address'],
  'm.id.phone': ['country', 'phone'],
};

/** An identifier: a known type must carry its fields as strings (else 400 M_BAD_JSON); unknown types pass to the service. */
const identifier = z.looseObject({ type: z.string() }).superRefine((value, ctx) => {
  for (const field of IDENTIFIER_FIELDS[value.type] ?? []) {
    if (typeof value[field] !== 'string') ctx.addIssue({ code: 'custom', path: [field], message: `${value.type} needs ${field} as a string` });
  }
});

const loginBody = z.object({
  type: z.string(),
  identifier: identifier.optional(),
  // Deprecated forms of the identifier.
  user: z.string().optional(),
  medium: z.string().optional(),
  address: z.string().optional(),
  password: z.string().optional(),
  device_id: z.string().min(1).max(255).optional(),
  initial_device_display_name: z.string().optional(),
  refresh_token: z.boolean().optional(),
});

/** The identifier of a login body, reading the deprecated `user` and `medium`/`address` fields. */
function loginIdentifier(body: z.infer<typeof loginBody>): LoginIdentifier | undefined {
  if (body.identifier) return body.identifier as LoginIdentifier;
  if (body.user !== undefined) return { type: 'm.id.user', user: body.user };
  if (body.medium !== undefined && body.address !== undefined) return { type: 'm.id.thirdparty', medium: body.medium, address: body.address };
  return undefined;
}

export function loginRoutes(services: Services): AnyRoute[] {
  const { accounts } = services;
  return [
    /**
     * GET /_matrix/client/v3/login
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3login
     */
    defineRoute({
      method: 'GET',
      path: `${CLIENT_V3}/login`,
      auth: 'none',
      handler: () => ({ flows: accounts.loginFlows() }),
    }),

    /**
     * POST /_matrix/client/v3/login
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3login
     */
    rateLimited(
      services,
      'login',
      defineRoute({
        method: 'POST',
        path: `${CLIENT_V3}/login`,
        auth: 'none',
        schema: loginBody,
        async handler({ body, req }) {
          const session = await accounts.login(
            {
              type: body.type,
              identifier: loginIdentifier(body),
              password: body.password,
              deviceId: body.device_id,
              initialDeviceDisplayName: body.initial_device_display_name,
              refreshToken: body.refresh_token ?? false,
            },
            requestOrigin(req),
          );
          return sessionJson(session);
        },
      }),
    ),

    /**
     * POST /_matrix/client/v3/refresh
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3refresh
     */
    rateLimited(
      services,
      'login',
      defineRoute({
        method: 'POST',
        path: `${CLIENT_V3}/refresh`,
        auth: 'none',
        schema: z.object({ refresh_token: z.string() }),
        async handler({ body }) {
          const tokens = await accounts.refresh(body.refresh_token);
          return { access_token: tokens.accessToken, refresh_token: tokens.refreshToken, expires_in_ms: tokens.expiresInMs };
        },
      }),
    ),

    /**
     * POST /_matrix/client/v3/logout
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3logout
     */
    defineRoute({
      method: 'POST',
      path: `${CLIENT_V3}/logout`,
      // A locked account may still log out (the spec's exception to locking).
      auth: 'userEvenIfLocked',
      async handler({ auth }) {
        await accounts.logout(auth);
        return {};
      },
    }),

    /**
     * POST /_matrix/client/v3/logout/all
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3logoutall
     */
    defineRoute({
      method: 'POST',
      path: `${CLIENT_V3}/logout/all`,
      auth: 'userEvenIfLocked',
      async handler({ auth }) {
        await accounts.logoutAll(auth);
        return {};
      },
    }),
  ];
}
