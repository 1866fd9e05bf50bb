/**
 * Push rules: the user's ruleset, and adding, moving, deleting, enabling and re-actioning single rules.
 * https://spec.matrix.org/v1.19/client-server-api/#push-rules-api
 */
import type { JsonValue } from '@parley/federation';
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { MatrixError } from '../../matrix-error.js';
import { defineRoute, type AnyRoute } from '../route.js';

const BASE = '/_matrix/client/v3/pushrules';
const RULE = `${BASE}/:scope/:kind/:ruleId`;

/** Any JSON value; the push service checks actions and conditions and answers 400 M_BAD_JSON itself. */
const json = z.json() as z.ZodType<JsonValue>;

const putRuleBody = z.object({
  actions: z.array(json),
  conditions: z.array(json).optional(),
  pattern: z.string().optional(),
});

const putRuleQuery = z.object({ before: z.string().optional(), after: z.string().optional() });

const enabledBody = z.object({ enabled: z.boolean() });

const actionsBody = z.object({ actions: z.array(json) });

/** The path parameters of a single rule. */
function ruleParams(params: Record<string, string>): [string, string, string] {
  return [params.scope ?? '', params.kind ?? '', params.ruleId ?? ''];
}

export function pushRulesRoutes(services: Services): AnyRoute[] {
  const { push } = services;
  return [
    /**
     * GET /_matrix/client/v3/pushrules/
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3pushrules
     */
    defineRoute({
      method: 'GET',
      path: `${BASE}/`,
      auth: 'user',
      handler: ({ auth }) => push.getRulesets(auth.userId),
    }),

    /**
     * GET /_matrix/client/v3/pushrules/global/
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3pushrulesglobal
     */
    defineRoute({
      method: 'GET',
      path: `${BASE}/:scope/`,
      auth: 'user',
      handler: ({ auth, params }) => push.getRuleset(auth.userId, params.scope ?? ''),
    }),

    /**
     * GET /_matrix/client/v3/pushrules/global/{kind}/: the rules of one kind, as an array in priority order.
     * The r0 spec's drill-down ("suffixing a scope to this path"), which v1.x no longer lists.
     * https://matrix.org/docs/spec/client_server/r0.6.1#get-matrix-client-r0-pushrules
     */
    // NOTSPEC: not in v1.19; Synapse serves it and clients still use it.
    defineRoute({
      method: 'GET',
      path: `${BASE}/:scope/:kind/`,
      auth: 'user',
      handler: ({ auth, params }) => push.getRulesOfKind(auth.userId, params.scope ?? '', params.kind ?? ''),
    }),

    /**
     * GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3pushrulesglobalkindruleid
     */
    defineRoute({
      method: 'GET',
      path: RULE,
      auth: 'user',
      handler: ({ auth, params }) => push.getRule(auth.userId, ...ruleParams(params)),
    }),

    /**
     * PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3pushrulesglobalkindruleid
     */
    defineRoute({
      method: 'PUT',
      path: RULE,
      auth: 'user',
      schema: putRuleBody,
      query: putRuleQuery,
      handler: async ({ auth, params, body, query }) => {
        await push.putRule(auth.userId, ...ruleParams(params), { ...body, before: query.before, after: query.after });
        return {};
      },
    }),

    /**
     * DELETE /_matrix/client/v3/pushrules/global/{kind}/{ruleId}
     * https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3pushrulesglobalkindruleid
     */
    defineRoute({
      method: 'DELETE',
      path: RULE,
      auth: 'user',
      handler: async ({ auth, params }) => {
        await push.deleteRule(auth.userId, ...ruleParams(params));
        return {};
      },
    }),

    /**
     * GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3pushrulesglobalkindruleidenabled
     */
    defineRoute({
      method: 'GET',
      path: `${RULE}/enabled`,
      auth: 'user',
      handler: async ({ auth, params }) => ({ enabled: (await push.getRule(auth.userId, ...ruleParams(params))).enabled }),
    }),

    /**
     * PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3pushrulesglobalkindruleidenabled
     */
    defineRoute({
      method: 'PUT',
      path: `${RULE}/enabled`,
      auth: 'user',
      schema: enabledBody,
      handler: async ({ auth, params, body }) => {
        await push.setRuleEnabled(auth.userId, ...ruleParams(params), body.enabled);
        return {};
      },
    }),

    /**
     * GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3pushrulesglobalkindruleidactions
     */
    defineRoute({
      method: 'GET',
      path: `${RULE}/actions`,
      auth: 'user',
      handler: async ({ auth, params }) => ({ actions: (await push.getRule(auth.userId, ...ruleParams(params))).actions }),
    }),

    /**
     * PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3pushrulesglobalkindruleidactions
     */
    defineRoute({
      method: 'PUT',
      path: `${RULE}/actions`,
      auth: 'user',
      schema: actionsBody,
      handler: async ({ auth, params, body }) => {
        await push.setRuleActions(auth.userId, ...ruleParams(params), body.actions);
        return {};
      },
    }),

    ...malformedPathRoutes(),
  ];
}

/**
 * Any other GET, PUT or DELETE under /pushrules (a missing rule ID, extra segments, an attribute other than
 * `enabled` and `actions`) is 400 `M_UNRECOGNIZED`, after authentication. Mounted after every real route.
 */
// NOTSPEC: the spec does not say; Synapse answers such paths 400 M_UNRECOGNIZED rather than 404.
function malformedPathRoutes(): AnyRoute[] {
  return (['GET', 'PUT', 'DELETE'] as const).map((method) =>
    defineRoute({
      method,
      path: `${BASE}{/*rest}`,
      auth: 'user',
      handler: () => {
        throw new MatrixError(400, 'M_UNRECOGNIZED', 'Malformed push rule path: expected /pushrules/global/{kind}/{ruleId}[/enabled|/actions]');
      },
    }),
  );
}
