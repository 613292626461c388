/**
 * The demo gateway in Express: a backend on one port, portcullis in front of it on another, on
 * the embedded in-memory store (or Redis with REDIS_URL). Run with `npm run demo`.
 */

import express from 'express';
import { gateway } from '../src/index.js';
import { startBackend } from './demo/backend.js';
import { CORS_OPTIONS, DEMO_KEYS, DEMO_PLANS, demoStore } from './demo/config.js';
import { printInstructions } from './demo/curl.js';
import { type Demo, demoPorts, isMain, listenDemo, stopOnSignal } from './demo/server.js';

export type { Demo } from './demo/server.js';

export async function startExpressDemo(port = 0, backendPort = 0): Promise<Demo> {
  const backend = await startBackend(backendPort);
  const { store, label, close } = await demoStore();
  const app = express();

  // Metrics first, so that they see every answer (the gateway's own 403s, 429s and 5xx included).
  const metrics = gateway.metrics({ stores: { demo: store } });
  app.use(metrics);
  app.get('/metrics', metrics.handler);

  // CORS first, so that every answer below (429s and 403s included) is readable by the browser app.
  app.use(gateway.cors(CORS_OPTIONS));
  // One bucket for the whole gateway, as API Gateway's account-level throttle.
  app.use(gateway.throttle({ rate: 50, burst: 100, key: 'global', name: 'global', store }));

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

  app.get('/admin/usage/:id', async (req, res) => {
    res.json(await plans.usage(req.params.id));
  });

  return listenDemo(app, port, backend, label, [close, () => weather.close(), () => api.close()]);
}

if (isMain(import.meta.url)) {
  const demo = await startExpressDemo(...demoPorts());
  printInstructions('Express', demo.url, demo.backend.url, demo.storeLabel);
  stopOnSignal(demo);
}
