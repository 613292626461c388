/**
 * The demo gateway in Express: a backend on one port, portcullis in front of it on another,
 * everything on the embedded in-memory defaults. Run with `npm run demo`.
 */

import type { AddressInfo } from 'node:net';
import express from 'express';
import { gateway } from '../src/index.js';
import { type Backend, startBackend } from './demo/backend.js';
import { DEMO_ORIGIN, printInstructions } from './demo/curl.js';

export interface Demo {
  readonly url: string;
  readonly backend: Backend;
  close(): Promise<void>;
}

export async function startExpressDemo(port = 0, backendPort = 0): Promise<Demo> {
  const backend = await startBackend(backendPort);
  const app = express();
  app.use(
    gateway.cors({ origin: [DEMO_ORIGIN], credentials: true, exposedHeaders: ['x-request-id'] }),
  );
  app.get('/hello', (req, res) => {
    res.json({ message: 'hello from the gateway', requestId: req.gateway?.requestId });
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
  const demo = await startExpressDemo(
    Number(process.env.PORT ?? 3000),
    Number(process.env.BACKEND_PORT ?? 3001),
  );
  printInstructions('Express', demo.url, demo.backend.url);
}
