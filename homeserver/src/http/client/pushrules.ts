/**
 * Push rules: the user's ruleset, and adding, moving, deleting, enabling and re-actioning single rules.
 * https://spec.matrix.org/v1.19/client-server-api/#push-rules-api
 */
import type { JsonValue } from '@parley/federation';
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
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
  ];
}
