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

export async function startBackend(port = 0): Promise<Backend> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    const url = new URL(req.url ?? '/', 'http://backend');
    res.setHeader('content-type', 'application/json; charset=utf-8');
    if (url.pathname === '/weather') {
      res.end(
        JSON.stringify({
          city: url.searchParams.get('city') ?? 'Lisbon',
          tempC: 21,
          servedAt: new Date().toISOString(),
        }),
      );
    } else if (url.pathname === '/orders' || url.pathname === '/') {
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
