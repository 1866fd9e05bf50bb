/**
 * Rate limiting per action, keyed by user when the request is authenticated and by client IP otherwise, with
 * rate-limiter-flexible: in memory for one process, in Redis (shared by every process) when `redis.url` is set.
 * Excess requests get 429 `M_LIMIT_EXCEEDED` with `retry_after_ms`.
 * https://spec.matrix.org/v1.19/client-server-api/#rate-limiting
 *
 * Routes opt in by wrapping themselves: `rateLimited(services, 'message', defineRoute({...}))`.
 */
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { configSchema, type Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import type { AttemptLimiter } from '../../services/accounts/index.js';
import type { Services } from '../../services/registry.js';
import { MatrixError } from '../errors.js';
import type { AnyRoute, Route, RouteAuth, RouteRequest } from '../route.js';

export type RateLimits = Config['rate_limits'];
/** The actions that have their own limit (each a key of the `rate_limits` config section). */
export type RateLimitedAction = Exclude<keyof RateLimits, 'enabled'>;

export interface RateLimiter {
  /** Counts one request of `action` for `key`; throws 429 `M_LIMIT_EXCEEDED` when over the limit. */
  consume(action: RateLimitedAction, key: string): Promise<void>;
  /** Gives back one request of `action` counted for `key`. */
  reward(action: RateLimitedAction, key: string): Promise<void>;
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  limits: RateLimits;
  /** Share counters through this Redis; in memory when unset. */
  redisUrl?: string;
  /** Keys counters in Redis, so deployments sharing one Redis do not share counters. */
  serverName?: string;
  logger?: Logger;
}

/** Builds the limiter for a config. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { limits } = options;
  const redis = options.redisUrl && limits.enabled ? new Redis(options.redisUrl, { maxRetriesPerRequest: 1 }) : undefined;
  redis?.on('error', (error: Error) => options.logger?.warn({ err: error }, 'rate limit Redis connection error'));
  const limiters = new Map<RateLimitedAction, RateLimiterAbstract>();

  const limiterFor = (action: RateLimitedAction): RateLimiterAbstract => {
    let limiter = limiters.get(action);
    if (!limiter) {
      const { per_second: perSecond, burst_count: burstCount } = limits[action];
      // burst_count requests per window, the window being the time the sustained rate takes to earn them back.
      const settings = { points: burstCount, duration: Math.max(1, Math.ceil(burstCount / perSecond)), keyPrefix: `parley_rl:${options.serverName ?? ''}:${action}` };
      const memory = new RateLimiterMemory(settings);
      // If Redis is unreachable, limit in memory rather than refuse every request.
      limiter = redis ? new RateLimiterRedis({ ...settings, storeClient: redis, insuranceLimiter: memory }) : memory;
      limiters.set(action, limiter);
    }
    return limiter;
  };

  return {
    async consume(action, key) {
      if (!limits.enabled) return;
      try {
        await limiterFor(action).consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        throw new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many requests', { retry_after_ms: Math.max(1, Math.ceil(rejection.msBeforeNext)) });
      }
    },
    async reward(action, key) {
      if (!limits.enabled) return;
      await limiterFor(action).reward(key);
    },
    async close() {
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** The accounts domain's port onto the limiter: password attempts counted against `action`. */
export function attemptLimiterFrom(limiter: RateLimiter, action: RateLimitedAction): AttemptLimiter {
  return {
    take: (key) => limiter.consume(action, key),
    refund: (key) => limiter.reward(action, key),
  };
}

const attached = new WeakMap<Services, RateLimiter>();
let fallback: RateLimiter | undefined;

/** Makes `limiter` the one the routes built from `services` use (called by main.ts). */
export function attachRateLimiter(services: Services, limiter: RateLimiter): void {
  attached.set(services, limiter);
}

/** The limiter for `services`; the in-memory defaults when main.ts attached none (unit tests of routes). */
export function rateLimiterFor(services: Services): RateLimiter {
  const limiter = attached.get(services);
  if (limiter) return limiter;
  fallback ??= createRateLimiter({ limits: configSchema.shape.rate_limits.parse(undefined) });
  return fallback;
}

/** The key a request is counted under: its user when authenticated, else its client IP. */
export function rateLimitKey(request: Pick<RouteRequest<unknown, unknown, RouteAuth>, 'auth' | 'req'>): string {
  const auth: unknown = request.auth;
  if (typeof auth === 'object' && auth !== null && 'userId' in auth && typeof auth.userId === 'string') return `user:${auth.userId}`;
  return `ip:${request.req.ip ?? request.req.socket.remoteAddress ?? 'unknown'}`;
}

/** Wraps a route so each request first counts against `action`'s limit. */
export function rateLimited(services: Services, action: RateLimitedAction, route: AnyRoute): AnyRoute {
  const inner = route as unknown as Route<unknown, unknown, RouteAuth>;
  const wrapped: Route<unknown, unknown, RouteAuth> = {
    ...inner,
    async handler(request) {
      await rateLimiterFor(services).consume(action, rateLimitKey(request));
      return inner.handler(request);
    },
  };
  return wrapped as unknown as AnyRoute;
}
