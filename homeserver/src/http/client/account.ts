/**
 * Account registration and account management: /register (with user-interactive auth), /register/available,
 * registration token validity, /account/whoami, /account/password, /account/deactivate.
 * https://spec.matrix.org/v1.19/client-server-api/#account-registration-and-management
 */
import { z } from 'zod';
import type { JsonObject } from '@parley/federation';
import type { LoginSession } from '../../services/accounts/index.js';
import type { Services } from '../../services/registry.js';
import { requestOrigin } from '../middleware/auth.js';
import { rateLimited } from '../middleware/rate-limit.js';
import { defineRoute, validateBody, type AnyRoute } from '../route.js';

const CLIENT_V1 = '/_matrix/client/v1';
const CLIENT_V3 = '/_matrix/client/v3';

/** The UIA `auth` dictionary: any JSON object (its stages are checked by the service). */
export const authDict = z.custom<JsonObject>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
  message: 'auth must be an object',
});

const registerBody = z.object({
  username: z.string().optional(),
  password: z.string().optional(),
  device_id: z.string().min(1).max(255).optional(),
  initial_device_display_name: z.string().optional(),
  inhibit_login: z.boolean().optional(),
  refresh_token: z.boolean().optional(),
  auth: authDict.optional(),
  // https://spec.matrix.org/v1.19/client-server-api/#guest-access: upgrading a guest account.
  guest_access_token: z.string().min(1).optional(),
});

/**
 * A guest registration's body: the spec has the server ignore every parameter but `initial_device_display_name`,
 * so the others are not even type-checked.
 */
const guestRegisterBody = z.looseObject({ initial_device_display_name: z.string().optional() });

/** Any JSON object: POST /register checks its body against the schema of the `kind` asked for. */
const anyObject = z.custom<JsonObject>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
  message: 'expected a JSON object',
});

const registerQuery = z.object({ kind: z.enum(['user', 'guest']).default('user') });

/** The JSON of a fresh login session, shared by /register and /login. */
export function sessionJson(session: LoginSession): Record<string, string | number> {
  return {
    user_id: session.userId,
    access_token: session.accessToken,
    device_id: session.deviceId,
    ...(session.refreshToken !== undefined ? { refresh_token: session.refreshToken } : {}),
    ...(session.expiresInMs !== undefined ? { expires_in_ms: session.expiresInMs } : {}),
  };
}

export function accountRoutes(services: Services): AnyRoute[] {
  const { accounts } = services;
  return [
    /**
     * POST /_matrix/client/v3/register
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3register
     * Every request counts against `registration_requests`; only accounts created and failed stages count against
     * `register` (the accounts service does that, see services/accounts/registration-limit.ts).
     */
    rateLimited(
      services,
      'registration_requests',
      defineRoute({
        method: 'POST',
        path: `${CLIENT_V3}/register`,
        auth: 'none',
        schema: anyObject,
        query: registerQuery,
        async handler({ body: raw, query, req }) {
          if (query.kind === 'guest') {
            const body = validateBody(guestRegisterBody, raw);
            const guest = { kind: 'guest', initialDeviceDisplayName: body.initial_device_display_name, inhibitLogin: false, refreshToken: false } as const;
            const result = await accounts.register(guest, requestOrigin(req));
            return result.session ? sessionJson(result.session) : { user_id: result.userId };
          }
          const body = validateBody(registerBody, raw);
          const result = await accounts.register(
            {
              kind: query.kind,
              username: body.username,
              password: body.password,
              deviceId: body.device_id,
              initialDeviceDisplayName: body.initial_device_display_name,
              inhibitLogin: body.inhibit_login ?? false,
              refreshToken: body.refresh_token ?? false,
              auth: body.auth,
              guestAccessToken: body.guest_access_token,
            },
            requestOrigin(req),
          );
          return result.session ? sessionJson(result.session) : { user_id: result.userId };
        },
      }),
    ),

    /**
     * GET /_matrix/client/v3/register/available
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3registeravailable
     */
    rateLimited(
      services,
      'registration_requests',
      defineRoute({
        method: 'GET',
        path: `${CLIENT_V3}/register/available`,
        auth: 'none',
        query: z.object({ username: z.string() }),
        async handler({ query }) {
          await accounts.checkUsernameAvailable(query.username);
          return { available: true };
        },
      }),
    ),

    /**
     * GET /_matrix/client/v1/register/m.login.registration_token/validity
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1registermloginregistration_tokenvalidity
     */
    rateLimited(
      services,
      'registration_requests',
      defineRoute({
        method: 'GET',
        path: `${CLIENT_V1}/register/m.login.registration_token/validity`,
        auth: 'none',
        query: z.object({ token: z.string() }),
        async handler({ query }) {
          return { valid: await accounts.registrationTokenValid(query.token) };
        },
      }),
    ),

    /**
     * GET /_matrix/client/v3/account/whoami
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3accountwhoami
     */
    defineRoute({
      method: 'GET',
      path: `${CLIENT_V3}/account/whoami`,
      auth: 'user',
      handler({ auth }) {
        return {
          user_id: auth.userId,
          ...(auth.deviceId !== null ? { device_id: auth.deviceId } : {}),
          is_guest: auth.isGuest,
        };
      },
    }),

    /**
     * POST /_matrix/client/v3/account/password
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3accountpassword
     */
    defineRoute({
      method: 'POST',
      path: `${CLIENT_V3}/account/password`,
      auth: 'user',
      schema: z.object({ new_password: z.string(), logout_devices: z.boolean().optional(), auth: authDict.optional() }),
      async handler({ auth, body }) {
        await accounts.changePassword(auth, { newPassword: body.new_password, logoutDevices: body.logout_devices ?? true, auth: body.auth });
        return {};
      },
    }),

    /**
     * POST /_matrix/client/v3/account/deactivate
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3accountdeactivate
     */
    defineRoute({
      method: 'POST',
      path: `${CLIENT_V3}/account/deactivate`,
      auth: 'user',
      schema: z.object({ auth: authDict.optional(), id_server: z.string().optional(), erase: z.boolean().optional() }),
      async handler({ auth, body }) {
        await accounts.deactivate(auth, { auth: body.auth });
        // No identity server bindings are made, so there is nothing to unbind.
        return { id_server_unbind_result: 'no-support' };
      },
    }),
  ];
}
