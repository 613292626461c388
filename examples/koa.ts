/**
 * The demo gateway in Koa: the same as examples/express.ts, with the same middlewares.
 * Run with `npm run demo:koa`.
 */

import Koa from 'koa';
import { gateway } from '../src/index.js';
import { startBackend } from './demo/backend.js';
import { DEMO_ORIGIN, printInstructions } from './demo/curl.js';
import { type Demo, isMain, listenDemo } from './demo/server.js';

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
  return listenDemo(app.callback(), port, backend);
}

if (isMain(import.meta.url)) {
  const demo = await startKoaDemo(
    Number(process.env.PORT ?? 3000),
    Number(process.env.BACKEND_PORT ?? 3001),
  );
  printInstructions('Koa', demo.url, demo.backend.url);
}
