/**
 * The express application: CORS, request logging and metrics, the r0 aliases, the flat route table, then 404 and
 * the error handler. Everything it needs is passed in; it constructs no storage or services itself.
 */
import express, { type Express, type RequestHandler } from 'express';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { ServerKeys } from '../services/federation/index.js';
import { versionsRoutes } from './client/versions.js';
import { matrixErrorHandler, unrecognizedEndpoint } from './errors.js';
import { federationKeyRoutes } from './federation/keys.js';
import { federationVersionRoutes, type ServerSoftware } from './federation/version.js';
import { measureRequests, metricsRoutes, type HttpMetrics } from './metrics.js';
import { r0Aliases } from './r0-aliases.js';
import { Reply, defineRoute, mountRoutes, type AnyRoute, type MountOptions } from './route.js';
import { wellKnownRoutes } from './well-known.js';

export interface AppDependencies {
  config: Pick<Config, 'public_baseurl' | 'well_known' | 'max_request_body_bytes'> & {
    /** `http.trust_proxy`; absent means false. */
    http?: Pick<Config['http'], 'trust_proxy'>;
    /** `limits.json_max_depth`; absent means the default, 64. */
    limits?: Pick<Config['limits'], 'json_max_depth'>;
  };
  logger: Logger;
  metrics: HttpMetrics;
  serverKeys: ServerKeys;
  software: ServerSoftware;
  /** Authenticators for the auth kinds routes use (none are needed by the built-in routes). */
  authenticators?: MountOptions['authenticators'];
  /** Routes of other domains, mounted in the same flat table. */
  routes?: readonly AnyRoute[];
  /** True once shutdown began: responses then close their connection instead of keeping it alive. */
  isShuttingDown?: () => boolean;
}

/**
 * CORS headers the spec recommends on every response, with `HEAD` in the methods: every GET route answers HEAD too,
 * and "servers which support additional endpoints or methods should add those methods as well" (as Synapse does).
 * https://spec.matrix.org/v1.19/client-server-api/#web-browser-clients
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'X-Requested-With, Content-Type, Authorization',
};

/** Builds the express app for one server. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // Responses like /sync are never revalidated; hashing every body for an ETag is wasted work.
  app.set('etag', false);
  // Behind a reverse proxy, req.ip (rate limits, devices' last-seen IP) is the client address from X-Forwarded-For;
  // otherwise that header is ignored, since any client could set it.
  app.set('trust proxy', deps.config.http?.trust_proxy === true);

  app.use(requestContext(deps));
  app.use(measureRequests(deps.metrics));
  app.use(cors());
  // Before the router: r0.6.1 paths become their v3 paths, so each route is mounted once.
  app.use(r0Aliases());

  const routes: AnyRoute[] = [
    ...healthRoutes(),
    ...metricsRoutes(deps.metrics),
    ...versionsRoutes(),
    ...wellKnownRoutes(deps.config),
    ...federationKeyRoutes(deps.serverKeys),
    ...federationVersionRoutes(deps.software),
    ...(deps.routes ?? []),
  ];
  const router = express.Router();
  mountRoutes(router, routes, {
    logger: deps.logger,
    maxBodyBytes: deps.config.max_request_body_bytes,
    jsonMaxDepth: deps.config.limits?.json_max_depth,
    authenticators: deps.authenticators ?? {},
  });
  app.use(router);

  app.use(unrecognizedEndpoint());
  app.use(matrixErrorHandler(deps.logger));
  return app;
}

/** GET /health: 200 `OK` while the process serves requests. */
function healthRoutes(): AnyRoute[] {
  return [defineRoute({ method: 'GET', path: '/health', auth: 'none', handler: () => Reply.text(200, 'OK') })];
}

/**
 * Answers every OPTIONS (CORS preflight) with 204 and no body, before authentication or any route logic ("the server
 * MUST NOT perform any logic defined for the endpoints"), as Synapse does; puts the CORS headers on every response.
 */
function cors(): RequestHandler {
  return (req, res, next) => {
    res.set(CORS_HEADERS);
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}

/** Gives each request a child logger with a request ID, and logs each finished request at debug. */
function requestContext(deps: AppDependencies): RequestHandler {
  let counter = 0;
  return (req, res, next) => {
    const reqId = (++counter).toString(36);
    const log = deps.logger.child({ reqId });
    res.locals.log = log;
    if (deps.isShuttingDown?.()) res.setHeader('Connection', 'close');
    const startedAt = performance.now();
    res.once('finish', () => {
      // req.path, never req.url: query strings can carry access tokens.
      log.debug(
        {
          method: req.method,
          path: req.path,
          route: res.locals.route,
          status: res.statusCode,
          durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
        },
        'request',
      );
    });
    next();
  };
}
