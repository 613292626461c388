/**
 * Peers together in Koa: koa-pino-logger (JSON lines to /dev/null) and the prom-client middleware
 * Koa apps usually write (as in koa-prom-client.mjs): a counter and a duration histogram by
 * method, route and status, a gauge of requests in flight, and /metrics.
 */

import Koa from 'koa';
import koaPino from 'koa-pino-logger';
import { Counter, Gauge, Histogram, register } from 'prom-client';
import { BODY, serve } from './_common.mjs';
import { pinoToDevNull } from './_logs.mjs';

const labelNames = ['method', 'route', 'status'];
const requests = new Counter({ name: 'http_requests_total', help: 'Requests', labelNames });
const duration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Request duration',
  labelNames,
});
const inFlight = new Gauge({ name: 'http_requests_in_flight', help: 'Requests in flight' });

const app = new Koa();
app.use(koaPino({}, pinoToDevNull()));
app.use(async (ctx, next) => {
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
});
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
