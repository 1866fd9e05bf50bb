/**
 * Prometheus metrics: Node's default process metrics plus a request histogram labelled by route pattern and
 * status, served at `/metrics`. Each server gets its own registry so several can run in one process (tests).
 */
import type { RequestHandler } from 'express';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Reply, defineRoute, type AnyRoute } from './route.js';

/** The metrics of one server instance. */
export interface HttpMetrics {
  registry: Registry;
  requestDuration: Histogram<'method' | 'route' | 'status'>;
}

/** Label for requests no route matched, so unknown URLs cannot blow up the label set. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Creates a registry with the default metrics and the HTTP request histogram. */
export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'parley_' });
  const requestDuration = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'Time from receiving a request to finishing its response, by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  return { registry, requestDuration };
}

/** Observes every request's duration when its response finishes. */
export function measureRequests(metrics: HttpMetrics): RequestHandler {
  return (req, res, next) => {
    const stopTimer = metrics.requestDuration.startTimer();
    res.once('finish', () => {
      const route = typeof res.locals.route === 'string' ? res.locals.route : UNMATCHED_ROUTE;
      stopTimer({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

/** `GET /metrics` in the Prometheus text format. */
export function metricsRoutes(metrics: HttpMetrics): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/metrics',
      auth: 'none',
      handler: async () => Reply.text(200, await metrics.registry.metrics(), { 'Content-Type': metrics.registry.contentType }),
    }),
  ];
}
