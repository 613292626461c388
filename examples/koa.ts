/**
 * The demo gateway in Koa: the same gateway as examples/express.ts with the same middlewares.
 * Koa has no mounting, so path-scoped middlewares go through `under()`. Run with `npm run demo:koa`.
 */

import Koa from 'koa';
import { gateway } from '../src/index.js';
import { startBackend } from './demo/backend.js';
import { CORS_OPTIONS, DEMO_KEYS, DEMO_PLANS, demoStore } from './demo/config.js';
import { printInstructions } from './demo/curl.js';
import { demoIssuer } from './demo/jwt.js';
import { petstoreApi } from './demo/petstore.js';
import { type Demo, demoPorts, isMain, listenDemo, stopOnSignal } from './demo/server.js';

/** Runs `middleware` only for paths under `prefix` (what `app.use(prefix, mw)` does in Express). */
function under(prefix: string, middleware: Koa.Middleware): Koa.Middleware {
  return (ctx, next) =>
    ctx.path === prefix || ctx.path.startsWith(`${prefix}/`) ? middleware(ctx, next) : next();
}

/** A readable access-log line in API Gateway's template syntax. */
const DEMO_LOG_FORMAT =
  '[$context.requestTime] "$context.httpMethod $context.path" $context.status $context.responseLength B $context.responseLatency ms cache=$context.cacheStatus key=$context.identity.apiKeyId error=$context.error.responseType';

export async function startKoaDemo(port = 0, backendPort = 0): Promise<Demo> {
  const backend = await startBackend(backendPort);
  const { store, label, close } = await demoStore();
  const app = new Koa();

  // First, so that it sees everything: one line per request on this terminal, the gateway's own
  // refusals (403, 429, 502) and cache hits included.
  app.use(gateway.accessLog({ format: DEMO_LOG_FORMAT }));
  // Metrics first, so that they see every answer; the handler answers only GET /metrics.
  const metrics = gateway.metrics({ stores: { demo: store } });
  app.use(metrics);
  app.use(metrics.handler);

  app.use(gateway.cors(CORS_OPTIONS));
  app.use(gateway.throttle({ rate: 50, burst: 100, key: 'global', name: 'global', store }));

  // A whole API from an OpenAPI document with API Gateway's extensions: its stages under /dev
  // and /prod; what the document does not define goes on to the routes below.
  const petstore = await petstoreApi();
  app.use(petstore.api);

  app.use(async (ctx, next) => {
    if (ctx.method !== 'GET' || ctx.path !== '/hello') return next();
    ctx.body = { message: 'hello from the gateway', requestId: ctx.state.gateway?.requestId };
  });

  const weather = gateway.proxy({ target: `${backend.url}/weather`, prefix: '/weather' });
  app.use(under('/weather', gateway.cache({ ttl: 300, store, namespace: 'weather' })));
  app.use(weather);

  const plans = gateway.usagePlans({ plans: DEMO_PLANS, keys: DEMO_KEYS, store });
  const api = gateway.proxy({ target: backend.url, prefix: '/api' });
  app.use(under('/api', plans));
  app.use(api);

  const issuer = demoIssuer();
  app.use(under('/secure', gateway.jwt(issuer.options)));
  app.use(async (ctx, next) => {
    if (ctx.method !== 'GET' || ctx.path !== '/secure') return next();
    const principal = ctx.state.gateway?.principal;
    ctx.body = { message: `hello, ${principal?.id}`, scopes: principal?.scopes };
  });

  app.use(under('/admin', gateway.ipFilter({ allow: ['127.0.0.1', '::1'] })));
  app.use(async (ctx, next) => {
    const match = /^\/admin\/usage\/([^/]+)$/.exec(ctx.path);
    if (ctx.method !== 'GET' || match === null) return next();
    ctx.body = await plans.usage(decodeURIComponent(match[1]!));
  });

  return listenDemo(app.callback(), port, backend, label, issuer.token, [
    close,
    () => weather.close(),
    () => api.close(),
    petstore.close,
  ]);
}

if (isMain(import.meta.url)) {
  const demo = await startKoaDemo(...demoPorts());
  printInstructions('Koa', demo.url, demo.backend.url, demo.storeLabel, demo.token);
  stopOnSignal(demo);
}
