/**
 * The demo gateway in Express: a backend on one port, portcullis in front of it on another, on
 * the embedded in-memory store (or Redis with REDIS_URL). Run with `npm run demo`.
 */

import express from 'express';
import { gateway } from '../src/index.js';
import { startBackend } from './demo/backend.js';
import { CORS_OPTIONS, DEMO_KEYS, DEMO_PLANS, demoStore } from './demo/config.js';
import { printInstructions } from './demo/curl.js';
import { demoIssuer } from './demo/jwt.js';
import { petstoreApi } from './demo/petstore.js';
import { type Demo, demoPorts, isMain, listenDemo, stopOnSignal } from './demo/server.js';

export type { Demo } from './demo/server.js';

/** A readable access-log line in API Gateway's template syntax. */
const DEMO_LOG_FORMAT =
  '[$context.requestTime] "$context.httpMethod $context.path" $context.status $context.responseLength B $context.responseLatency ms cache=$context.cacheStatus key=$context.identity.apiKeyId error=$context.error.responseType';

export async function startExpressDemo(port = 0, backendPort = 0): Promise<Demo> {
  const backend = await startBackend(backendPort);
  const { store, label, close } = await demoStore();
  const app = express();

  // First, so that it sees everything: one line per request on this terminal, the gateway's own
  // refusals (403, 429, 502) and cache hits included.
  app.use(gateway.accessLog({ format: DEMO_LOG_FORMAT }));
  // Metrics first, so that they see every answer (the gateway's own 403s, 429s and 5xx included).
  const metrics = gateway.metrics({ stores: { demo: store } });
  app.use(metrics);
  app.get('/metrics', metrics.handler);

  // CORS first, so that every answer below (429s and 403s included) is readable by the browser app.
  app.use(gateway.cors(CORS_OPTIONS));
  // One bucket for the whole gateway, as API Gateway's account-level throttle.
  app.use(gateway.throttle({ rate: 50, burst: 100, key: 'global', name: 'global', store }));

  // A whole API from an OpenAPI document with API Gateway's extensions: its stages under /dev
  // and /prod; what the document does not define goes on to the routes below.
  const petstore = await petstoreApi();
  app.use(petstore.api);

  app.get('/hello', (req, res) => {
    res.json({ message: 'hello from the gateway', requestId: req.gateway?.requestId });
  });

  // A public, cached route proxied to the backend.
  const weather = gateway.proxy({ target: `${backend.url}/weather` });
  app.use('/weather', gateway.cache({ ttl: 300, store, namespace: 'weather' }), weather);

  // Everything under /api needs an API key; its plan decides throttle and quota.
  const plans = gateway.usagePlans({ plans: DEMO_PLANS, keys: DEMO_KEYS, store });
  const api = gateway.proxy({ target: backend.url });
  app.use('/api', plans, api);

  // Bearer tokens: /secure needs one signed by the demo issuer, with the orders:read scope.
  const issuer = demoIssuer();
  app.get('/secure', gateway.jwt(issuer.options), (req, res) => {
    const principal = req.gateway?.principal;
    res.json({ message: `hello, ${principal?.id}`, scopes: principal?.scopes });
  });

  // Admin routes answer only this machine (the socket's address; no proxy is trusted).
  app.use('/admin', gateway.ipFilter({ allow: ['127.0.0.1', '::1'] }));
  app.get('/admin/usage/:id', async (req, res) => {
    res.json(await plans.usage(req.params.id));
  });

  return listenDemo(app, port, backend, label, issuer.token, [
    close,
    () => weather.close(),
    () => api.close(),
    petstore.close,
  ]);
}

if (isMain(import.meta.url)) {
  const demo = await startExpressDemo(...demoPorts());
  printInstructions('Express', demo.url, demo.backend.url, demo.storeLabel, demo.token);
  stopOnSignal(demo);
}
