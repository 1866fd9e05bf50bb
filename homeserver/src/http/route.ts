/**
 * The flat route table: each endpoint is one `Route` value, mounted by {@link mountRoutes}, which
 * authenticates, parses and validates the body with zod, calls the handler and sends its reply.
 */
import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import type { Logger } from '../log.js';
import { MatrixError, methodNotAllowed } from './errors.js';
import { DEFAULT_JSON_MAX_DEPTH, findUnsafeJson } from '../json-input.js';
import { jsonBody } from './middleware/json.js';
import { sendJson } from './json-response.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * What each kind of authentication yields to the handler as `request.auth`. Only `none` is built in; the auth
 * middleware's module adds its kinds by declaration merging, e.g.
 * `declare module '../route.js' { interface AuthKinds { user: Requester } }`, and registers an
 * {@link Authenticator} for each in {@link MountOptions.authenticators}.
 */
export interface AuthKinds {
  none: undefined;
}

export type RouteAuth = keyof AuthKinds;

/** Authenticates a request for one auth kind; throws a MatrixError (e.g. 401 `M_MISSING_TOKEN`) to refuse. */
export type Authenticator<A extends RouteAuth = RouteAuth> = (req: Request) => Promise<AuthKinds[A]>;

/** What a handler receives. */
export interface RouteRequest<Body, Query, A extends RouteAuth> {
  /** The validated body (`undefined` for routes without a body schema). */
  body: Body;
  /** The validated query (the raw parsed query for routes without a query schema). */
  query: Query;
  /** Path parameters, already %-decoded. */
  params: Record<string, string>;
  auth: AuthKinds[A];
  /** A child logger carrying the request ID. */
  log: Logger;
  /** The raw express objects, for the rare handler that streams (media) or reads headers. */
  req: Request;
  res: Response;
}

/** A non-default response: another status, a text body or extra headers. Plain return values are sent as 200 JSON. */
export class Reply {
  private constructor(
    readonly status: number,
    readonly body: unknown,
    readonly contentType: 'json' | 'text',
    readonly headers: Readonly<Record<string, string>>,
  ) {}

  /** A JSON response with the given status. */
  static json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
    return new Reply(status, body, 'json', headers);
  }

  /** A `text/plain` response; `headers` may override the content type. */
  static text(status: number, body: string, headers: Record<string, string> = {}): Reply {
    return new Reply(status, body, 'text', headers);
  }
}

/**
 * One endpoint. `path` uses express 5 syntax (`/rooms/:roomId/state/:eventType{/:stateKey}`).
 * Handlers return the 200 JSON body (`undefined` sends `{}`), or a {@link Reply}. A handler that writes to `res`
 * itself (media streaming) must finish before it returns, e.g. `await pipeline(stream, res)`.
 */
export interface Route<Body = unknown, Query = unknown, A extends RouteAuth = RouteAuth> {
  method: HttpMethod;
  path: string;
  auth: A;
  /** Validates the JSON body; routes without one do not read the body. */
  schema?: z.ZodType<Body>;
  /** Validates the query string (values are strings, or arrays of strings when repeated). */
  query?: z.ZodType<Query>;
  // Method syntax keeps Route<Specific> assignable to the table's Route (parameter bivariance).
  handler(request: RouteRequest<Body, Query, A>): unknown;
}

/** A route whose types have been checked by {@link defineRoute}; what route tables hold. */
export type AnyRoute = Route<never, never, RouteAuth>;

/** Declares a route with its handler's types inferred from the schemas and auth kind. */
export function defineRoute<Body = undefined, Query = Record<string, unknown>, A extends RouteAuth = 'none'>(
  route: Route<Body, Query, A>,
): AnyRoute {
  return route as unknown as AnyRoute;
}

export interface MountOptions {
  logger: Logger;
  maxBodyBytes: number;
  /** `limits.json_max_depth`: deepest nesting accepted in a JSON body. Default 64. */
  jsonMaxDepth?: number;
  authenticators: { [A in RouteAuth]?: Authenticator<A> };
}

/**
 * Mounts the whole table on `router`, then a 405 `M_UNRECOGNIZED` catch-all for each path, which only runs when
 * no method matched. Mount every route in one call so the catch-alls come after all methods of a path.
 */
export function mountRoutes(router: Router, routes: readonly AnyRoute[], options: MountOptions): void {
  const methodsByPath = new Map<string, HttpMethod[]>();
  for (const route of routes) {
    const handlers = routeHandlers(route as unknown as Route<unknown, unknown, RouteAuth>, options);
    router[route.method.toLowerCase() as Lowercase<HttpMethod>](route.path, ...handlers);
    methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method]);
  }
  for (const [path, methods] of methodsByPath) {
    const allowed = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
    router.all(path, markRoute(path), methodNotAllowed(allowed));
  }
}

function routeHandlers(route: Route<unknown, unknown, RouteAuth>, options: MountOptions): RequestHandler[] {
  const authenticate = findAuthenticator(options, route.auth);
  if (route.auth !== 'none' && !authenticate) {
    throw new Error(`route ${route.method} ${route.path} needs auth "${route.auth}" but no authenticator is registered`);
  }
  const run: RequestHandler = async (req, res) => {
    checkParams(req);
    const auth = authenticate ? await authenticate(req) : undefined;
    const body = route.schema ? validateBody(route.schema, req.body) : undefined;
    const query = route.query ? validateQuery(route.query, req.query) : req.query;
    const log = (res.locals.log as Logger | undefined) ?? options.logger;
    const result = await route.handler({ body, query, params: req.params as Record<string, string>, auth, log, req, res });
    if (!res.headersSent && !res.writableEnded) sendResult(res, result);
  };
  const mark = markRoute(route.path);
  const json = jsonBody({ maxBytes: options.maxBodyBytes, maxDepth: options.jsonMaxDepth ?? DEFAULT_JSON_MAX_DEPTH });
  return route.schema ? [mark, ...json, run] : [mark, run];
}

/**
 * Refuses path parameters and query values holding a NUL or a lone surrogate, and query strings whose %-escapes are not
 * UTF-8, with 400 `M_INVALID_PARAM`: none can be stored (PostgreSQL) or be part of a valid ID. (A broken %-escape in the
 * path is refused by the router, see errors.ts.)
 */
// NOTSPEC: the spec does not say; the same gate as for JSON bodies, so no such value reaches a handler or the database.
function checkParams(req: Request): void {
  const queryStart = req.originalUrl.indexOf('?');
  if (queryStart >= 0 && !isWellFormedEncoding(req.originalUrl.slice(queryStart + 1))) {
    throw new MatrixError(400, 'M_INVALID_PARAM', 'Malformed percent-encoding in the query string');
  }
  const sources = [
    ['path parameter', req.params],
    ['query parameter', req.query],
  ] as const;
  for (const [where, values] of sources) {
    const problem = findUnsafeJson(values, 4);
    if (problem) throw new MatrixError(400, 'M_INVALID_PARAM', `Bad ${where}: ${problem.message}`);
  }
}

/** False for a broken %-escape or escapes that are not UTF-8 (e.g. `%ED%A0%80`, a lone surrogate's CESU-8 bytes). */
function isWellFormedEncoding(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** Records the matched route pattern (not the raw URL) for metrics and logs. */
function markRoute(path: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.route = path;
    next();
  };
}

function findAuthenticator(options: MountOptions, kind: RouteAuth): Authenticator | undefined {
  if (kind === 'none') return undefined;
  return (options.authenticators as Partial<Record<string, Authenticator>>)[kind as string];
}

function sendResult(res: Response, result: unknown): void {
  if (result instanceof Reply) {
    res.status(result.status);
    if (result.contentType === 'text') res.type('text/plain; charset=utf-8');
    res.set(result.headers);
    if (result.contentType === 'text') res.send(result.body);
    else sendJson(res, result.status, result.body);
    return;
  }
  sendJson(res, 200, result ?? {});
}

/** The errcode a custom zod issue asked for via `params: { errcode }`, if any. */
function requestedErrcode(issue: z.core.$ZodIssue): string | undefined {
  const params = issue.code === 'custom' ? (issue.params as { errcode?: unknown } | undefined) : undefined;
  return typeof params?.errcode === 'string' ? params.errcode : undefined;
}

/** True when the issue is about a key the input does not have at all. */
function isMissing(issue: z.core.$ZodIssue, input: unknown): boolean {
  if (issue.path.length === 0) return false;
  let value: unknown = input;
  for (const key of issue.path) {
    if (typeof value !== 'object' || value === null) return true;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value === undefined;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * Validates a JSON body: a missing required key gives 400 `M_MISSING_PARAM`, anything else wrong 400 `M_BAD_JSON`
 * (the spec's "valid JSON, but malformed"). A custom issue may pick its errcode with `params: { errcode }`.
 */
export function validateBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const errcode = requestedErrcode(issue) ?? (isMissing(issue, body) ? 'M_MISSING_PARAM' : 'M_BAD_JSON');
  throw new MatrixError(400, errcode, describeIssue(issue));
}

/** Validates query parameters: missing gives 400 `M_MISSING_PARAM`, wrong gives 400 `M_INVALID_PARAM`. */
export function validateQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const result = schema.safeParse(query, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const errcode = requestedErrcode(issue) ?? (isMissing(issue, query) ? 'M_MISSING_PARAM' : 'M_INVALID_PARAM');
  throw new MatrixError(400, errcode, describeIssue(issue));
}
