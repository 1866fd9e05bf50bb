/**
 * End-to-end encryption key management: device, one-time and fallback keys, key queries and claims, device-list
 * changes, cross-signing keys and signatures.
 * https://spec.matrix.org/v1.19/client-server-api/#key-management-api
 */
import { findNonCanonical, isJsonObject, isValidUserId, type JsonObject } from '@parley/federation';
import { z } from 'zod';
import { MatrixError } from '../../matrix-error.js';
import type { Services } from '../../services/registry.js';
import { parseSyncToken } from '../../services/sync/index.js';
import { rateLimited } from '../middleware/rate-limit.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { authDict } from './account.js';

const CLIENT_V3 = '/_matrix/client/v3';

/** Any JSON object; the e2ee service checks key shapes precisely (400 M_INVALID_PARAM naming the field). */
const jsonObject = z.custom<JsonObject>((value) => isJsonObject(value), { message: 'expected an object' });
const timeout = z.number().int().nonnegative().optional();

/**
 * requireCanonicalKeys: a JSON object that is signed (device keys, one-time and fallback keys, cross-signing keys,
 * signatures), so it must be canonical JSON: a float, an integer outside [-(2**53)+1, (2**53)-1], a lone surrogate or
 * too deep a nesting is 400 M_BAD_JSON naming the path, before any signature is checked or anything stored.
 * https://spec.matrix.org/v1.19/appendices/#signing-json
 */
const signedJson = jsonObject.superRefine((value, ctx) => {
  const problem = findNonCanonical(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `not canonical JSON: ${problem.message}`, params: { errcode: 'M_BAD_JSON' } });
});

const uploadBody = z.looseObject({
  device_keys: signedJson.nullish(),
  one_time_keys: signedJson.nullish(),
  fallback_keys: signedJson.nullish(),
});
const queryBody = z.looseObject({ timeout, device_keys: z.record(z.string(), z.array(z.string())) });
const claimBody = z.looseObject({ timeout, one_time_keys: z.record(z.string(), z.record(z.string(), z.string())) });
const changesQuery = z.looseObject({ from: z.string(), to: z.string() });
const deviceSigningBody = z.looseObject({
  master_key: signedJson.nullish(),
  self_signing_key: signedJson.nullish(),
  user_signing_key: signedJson.nullish(),
  auth: authDict.optional(),
});
const signaturesBody = z.record(z.string(), z.record(z.string(), signedJson));

/** 400 M_INVALID_PARAM unless every key of `map` is a user ID. */
function requireUserIds<T>(map: Record<string, T>): Record<string, T> {
  for (const userId of Object.keys(map)) {
    if (!isValidUserId(userId)) throw new MatrixError(400, 'M_INVALID_PARAM', `Not a user ID: ${userId}`);
  }
  return map;
}

export function keysRoutes(services: Services): AnyRoute[] {
  const { e2ee } = services;
  return [
    /**
     * POST /_matrix/client/v3/keys/upload
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysupload
     * Counted against the `key_upload` rate limit, like the two uploads below (429 M_LIMIT_EXCEEDED beyond it).
     */
    rateLimited(services, 'key_upload', defineRoute({
      method: 'POST',
      path: `${CLIENT_V3}/keys/upload`,
      auth: 'user',
      schema: uploadBody,
      handler: ({ auth, body }) =>
        e2ee.uploadKeys(auth, { device_keys: body.device_keys, one_time_keys: body.one_time_keys, fallback_keys: body.fallback_keys }),
    })),

    /**
     * POST /_matrix/client/v3/keys/query
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysquery
     */
    defineRoute({
      method: 'POST',
      path: `${CLIENT_V3}/keys/query`,
      auth: 'user',
      schema: queryBody,
      handler: ({ auth, body }) => e2ee.queryKeys(auth, requireUserIds(body.device_keys)),
    }),

    /**
     * POST /_matrix/client/v3/keys/claim
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysclaim
     */
    defineRoute({
      method: 'POST',
      path: `${CLIENT_V3}/keys/claim`,
      auth: 'user',
      schema: claimBody,
      handler: ({ auth, body }) => e2ee.claimKeys(auth, requireUserIds(body.one_time_keys)),
    }),

    /**
     * GET /_matrix/client/v3/keys/changes
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3keyschanges
     */
    defineRoute({
      method: 'GET',
      path: `${CLIENT_V3}/keys/changes`,
      auth: 'user',
      query: changesQuery,
      handler: ({ auth, query }) => {
        const from = parseSyncToken(query.from).device_lists;
        const to = parseSyncToken(query.to).device_lists;
        return e2ee.getKeyChanges(auth, from, to);
      },
    }),

    /**
     * POST /_matrix/client/v3/keys/device_signing/upload
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysdevice_signingupload
     */
    rateLimited(services, 'key_upload', defineRoute({
      method: 'POST',
      path: `${CLIENT_V3}/keys/device_signing/upload`,
      auth: 'user',
      schema: deviceSigningBody,
      handler: async ({ auth, body }) => {
        await e2ee.uploadCrossSigningKeys(auth, {
          master_key: body.master_key,
          self_signing_key: body.self_signing_key,
          user_signing_key: body.user_signing_key,
          auth: body.auth,
        });
        return {};
      },
    })),

    /**
     * POST /_matrix/client/v3/keys/signatures/upload
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keyssignaturesupload
     */
    rateLimited(services, 'key_upload', defineRoute({
      method: 'POST',
      path: `${CLIENT_V3}/keys/signatures/upload`,
      auth: 'user',
      schema: signaturesBody,
      handler: ({ auth, body }) => e2ee.uploadSignatures(auth, requireUserIds(body)),
    })),
  ];
}
