import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from '../../test/support/http.js';
import { createMiddleware } from './universal.js';

// biome-ignore lint/suspicious/noExplicitAny: Express 4 and 5 apps share this shape in tests.
type Any = any;

/** A middleware that sets a header just before the response's headers are written. */
const marksHeaders = createMiddleware('marks', (ex, next) => {
  ex.onHeaders((e) => e.setHeader('x-hooked', String(e.res.statusCode)), null);
  return next();
});

/** A middleware that registers no header hook (as throttle). */
const notHooking = createMiddleware('plain', (_ex, next) => next());

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe.each([
  ['express4', express4 as Any],
  ['express5', express5 as Any],
])('the Express request and response prototypes [%s]', (_name, express) => {
  it('give handlers req.gateway and run header hooks, without own properties on req or res', async () => {
    const app = express();
    app.use(marksHeaders);
    app.get('/r', (req: Any, res: Any) => {
      res.json({
        requestId: req.gateway?.requestId,
        ownGateway: Object.hasOwn(req, 'gateway'),
        ownWriteHead: Object.hasOwn(res, 'writeHead'),
        // Kept in res.locals under symbols: templates and `Object.keys` see nothing new.
        locals: Object.keys(res.locals),
      });
    });
    const url = await listen(app);
    const res = await request(url, '/r', { headers: { 'x-request-id': 'abc-1' } });
    expect(res.json).toEqual({
      requestId: 'abc-1',
      ownGateway: false,
      ownWriteHead: false,
      locals: [],
    });
    expect(res.headers['x-hooked']).toBe('200');
    expect(res.headers['x-request-id']).toBe('abc-1');
  });

  it('leave requests that no portcullis middleware saw alone, in the same app', async () => {
    const app = express();
    app.get('/before', (req: Any, res: Any) => res.json({ gateway: req.gateway ?? null }));
    app.use(marksHeaders);
    app.get('/after', (req: Any, res: Any) => res.json({ id: typeof req.gateway?.requestId }));
    const url = await listen(app);
    expect((await request(url, '/after')).json).toEqual({ id: 'string' });
    const before = await request(url, '/before');
    expect(before.json).toEqual({ gateway: null });
    expect(before.headers['x-hooked']).toBeUndefined();
    // A later request that passes through portcullis is hooked again.
    expect((await request(url, '/after')).headers['x-hooked']).toBe('200');
  });

  it('keep an assignment to req.gateway made by the app', async () => {
    const app = express();
    app.use(marksHeaders);
    app.get('/r', (req: Any, res: Any) => {
      req.gateway = { mine: true };
      res.json(req.gateway);
    });
    const url = await listen(app);
    expect((await request(url, '/r')).json).toEqual({ mine: true });
  });

  it('work in a mounted sub-app, and with another library wrapping res.writeHead per response', async () => {
    const app = express();
    const sub = express();
    sub.use(marksHeaders);
    sub.get('/r', (req: Any, res: Any) =>
      res.status(201).json({ id: typeof req.gateway?.requestId }),
    );
    // The on-headers pattern (morgan, compression): wrap the instance's writeHead, call through.
    app.use((_req: Any, res: Any, next: Any) => {
      const original = res.writeHead;
      res.writeHead = function (this: Any, ...args: unknown[]) {
        this.setHeader('x-wrapped', 'yes');
        return original.apply(this, args);
      };
      next();
    });
    app.use('/sub', sub);
    const url = await listen(app);
    const res = await request(url, '/sub/r');
    expect([res.status, res.json]).toEqual([201, { id: 'string' }]);
    expect(res.headers['x-hooked']).toBe('201');
    expect(res.headers['x-wrapped']).toBe('yes');
  });
});

describe('an (req, res, next) caller without Express', () => {
  it('still gets req.gateway and header hooks, stored on the objects themselves', async () => {
    const url = await listen((req, res) => {
      marksHeaders(req as never, res as never, () => {
        const gateway = (req as { gateway?: { requestId: string } }).gateway;
        res.end(String(typeof gateway?.requestId));
      });
    });
    const res = await request(url, '/r');
    expect(res.body).toBe('string');
    expect(res.headers['x-hooked']).toBe('200');
  });

  it('keeps every repeated field of a raw header array given to writeHead, hooks or not', async () => {
    const url = await listen((req, res) => {
      const middleware = req.url === '/hooked' ? marksHeaders : notHooking;
      middleware(req as never, res as never, () => {
        res.writeHead(200, ['set-cookie', 'a=1', 'set-cookie', 'b=2']);
        res.end();
      });
    });
    for (const path of ['/hooked', '/plain']) {
      const res = await request(url, path);
      expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(res.headers['x-request-id']).toBeTruthy();
    }
  });
});
