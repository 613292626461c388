/**
 * The demo gateway in Koa: the same as examples/express.ts, with the same middlewares.
 * Run with `npm run demo:koa`.
 */

import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { gateway } from '../src/index.js';
import { startBackend } from './demo/backend.js';
import { DEMO_ORIGIN, printInstructions } from './demo/curl.js';
import type { Demo } from './express.js';

export async function startKoaDemo(port = 0, backendPort = 0): Promise<Demo> {
  const backend = await startBackend(backendPort);
  const app = new Koa();
  app.use(
    gateway.cors({ origin: [DEMO_ORIGIN], credentials: true, exposedHeaders: ['x-request-id'] }),
  );
  app.use(async (ctx, next) => {
    if (ctx.method !== 'GET' || ctx.path !== '/hello') return next();
    ctx.body = { message: 'hello from the gateway', requestId: ctx.state.gateway?.requestId };
  });
  const server = app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    backend,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await backend.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const demo = await startKoaDemo(
    Number(process.env.PORT ?? 3000),
    Number(process.env.BACKEND_PORT ?? 3001),
  );
  printInstructions('Koa', demo.url, demo.backend.url);
}
