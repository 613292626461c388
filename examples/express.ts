/**
 * The demo gateway in Express: a backend on one port, portcullis in front of it on another,
 * everything on the embedded in-memory defaults. Run with `npm run demo`.
 */

import express from 'express';
import { gateway } from '../src/index.js';
import { startBackend } from './demo/backend.js';
import { DEMO_ORIGIN, printInstructions } from './demo/curl.js';
import { type Demo, isMain, listenDemo } from './demo/server.js';

export type { Demo } from './demo/server.js';

export async function startExpressDemo(port = 0, backendPort = 0): Promise<Demo> {
  const backend = await startBackend(backendPort);
  const app = express();
  app.use(
    gateway.cors({ origin: [DEMO_ORIGIN], credentials: true, exposedHeaders: ['x-request-id'] }),
  );
  app.get('/hello', (req, res) => {
    res.json({ message: 'hello from the gateway', requestId: req.gateway?.requestId });
  });
  return listenDemo(app, port, backend);
}

if (isMain(import.meta.url)) {
  const demo = await startExpressDemo(
    Number(process.env.PORT ?? 3000),
    Number(process.env.BACKEND_PORT ?? 3001),
  );
  printInstructions('Express', demo.url, demo.backend.url);
}
