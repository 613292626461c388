/** The demo's backend: a small JSON API on node:http that the gateway fronts. */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Backend {
  readonly url: string;
  /** How many requests reached the backend (the cache demo shows it not moving). */
  readonly hits: () => number;
  close(): Promise<void>;
}

const orders = [
  { id: 1, item: 'portcullis', quantity: 1 },
  { id: 2, item: 'drawbridge', quantity: 2 },
];

function readBody(req: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

export async function startBackend(port = 0): Promise<Backend> {
  let hits = 0;
  const server: Server = createServer(async (req, res) => {
    hits++;
    const url = new URL(req.url ?? '/', 'http://backend');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    res.setHeader('content-type', 'application/json; charset=utf-8');
    if (path === '/weather') {
      const city = url.searchParams.get('city') ?? 'Lisbon';
      res.end(
        JSON.stringify({ city, tempC: 21, servedAt: new Date().toISOString(), backendHits: hits }),
      );
    } else if (path === '/orders' && req.method === 'POST') {
      const order = { id: orders.length + 1, ...JSON.parse((await readBody(req)) || '{}') };
      res.statusCode = 201;
      res.end(JSON.stringify(order));
    } else if (path === '/orders') {
      res.end(JSON.stringify(orders));
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ message: 'Not Found' }));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
