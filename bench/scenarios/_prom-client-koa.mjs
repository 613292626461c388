/**
 * The prom-client middleware Koa apps usually write (there is no maintained Koa package): a
 * request counter and a duration histogram by method, route and status, a gauge of requests in
 * flight, and /metrics. Shared by the Koa metrics peers.
 */

import { Counter, Gauge, Histogram, register } from 'prom-client';

const labelNames = ['method', 'route', 'status'];
const requests = new Counter({ name: 'http_requests_total', help: 'Requests', labelNames });
const duration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Request duration',
  labelNames,
});
const inFlight = new Gauge({ name: 'http_requests_in_flight', help: 'Requests in flight' });

export async function promClientMiddleware(ctx, next) {
  if (ctx.path === '/metrics') {
    ctx.type = register.contentType;
    ctx.body = await register.metrics();
    return;
  }
  inFlight.inc();
  const end = duration.startTimer();
  try {
    await next();
  } finally {
    const labels = { method: ctx.method, route: ctx._matchedRoute ?? '', status: ctx.status };
    end(labels);
    requests.inc(labels);
    inFlight.dec();
  }
}
