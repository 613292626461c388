/**
 * A client that aborts mid-upload or mid-download is normal: no portcullis middleware hands an
 * error to the framework for it, nor logs at warn or error. Koa itself reports the broken socket
 * on its `error` event (its `onFinished(res, ctx.onerror)` sees the socket's `Parse Error` or
 * `ECONNRESET`; Koa 3 also the `Premature close` of its response pipeline), and a bare Koa app
 * reports exactly the same: so every app here must report what the bare app does, and Express
 * nothing. Real sockets, real frameworks, a real upstream for the proxy.
 */

import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import express5 from 'express';
import express4 from 'express4';
import koa3 from 'koa';
import koa2 from 'koa2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEchoUpstream, type Upstream } from '../../test/support/upstream.js';
import { gateway } from '../index.js';

const KEY = 'client-abort-key-0123456789-abcdefghijklm';
/** What Koa reports for an aborted client, with or without the gateway (see above). */
const KOA_CLIENT_ABORT = /^(Parse Error|read ECONNRESET|write ECONNRESET|Premature close)$/;

type Scenario = 'mid-upload' | 'mid-download';
type Chain = 'bare' | 'limits' | 'proxy';
// biome-ignore lint/suspicious/noExplicitAny: one list of middlewares for both frameworks.
type AnyMiddleware = any;

/** The gateway's middlewares of each chain, new for each app. */
function middlewares(chain: Chain, upstream: string): AnyMiddleware[] {
  if (chain === 'bare') return [];
  const limits = [
    gateway.cors({ origin: '*' }),
    gateway.usagePlans({
      plans: {
        paid: { throttle: { rate: 1000, burst: 1000 }, quota: { limit: 1000, period: 'day' } },
      },
      keys: [{ id: 'client', key: KEY, plan: 'paid' }],
    }),
    gateway.throttle({ rate: 1000, burst: 1000, key: 'apiKey' }),
    gateway.cache({ ttl: 60 }),
  ];
  return chain === 'limits' ? limits : [...limits, gateway.proxy(upstream)];
}

/** 64 MiB, produced as it is read. */
function largeBody(): Readable {
  let chunks = 0;
  return new Readable({
    read() {
      this.push(chunks++ < 1024 ? Buffer.alloc(64 * 1024, 'x') : null);
    },
  });
}

/** Waits for the request body's end or the connection's close, never failing. */
function drained(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    req.on('error', () => undefined);
    req.once('end', resolve);
    req.once('close', resolve);
    req.resume();
  });
}

interface App {
  readonly url: string;
  readonly server: Server;
  /** What reached the framework's error handling. */
  readonly errors: string[];
}

function listen(server: Server, errors: string[]): Promise<App> {
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => ({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    errors,
  }));
}

async function koaApp(Koa: typeof koa3, chain: Chain, upstream: string): Promise<App> {
  const app = new Koa();
  const errors: string[] = [];
  app.on('error', (err: Error) => errors.push(err.message));
  for (const mw of middlewares(chain, upstream)) app.use(mw);
  app.use(async (ctx) => {
    if (ctx.path === '/upload') {
      await drained(ctx.req);
      ctx.body = 'ok';
    } else ctx.body = largeBody();
  });
  return listen(createServer(app.callback()), errors);
}

async function expressApp(createApp: typeof express5, chain: Chain, upstream: string) {
  const app = createApp();
  const errors: string[] = [];
  for (const mw of middlewares(chain, upstream)) app.use(mw);
  app.post('/upload', async (req, res) => {
    await drained(req);
    res.end('ok');
  });
  app.get('/large', (_req, res) => {
    largeBody().pipe(res);
  });
  app.use((err: Error, _req: unknown, res: { end(): void }, _next: unknown) => {
    errors.push(err.message);
    res.end();
  });
  return listen(createServer(app), errors);
}

/**
 * Sends a request and breaks the connection: after 64 KiB of a 1 MiB upload, or at the first
 * bytes of the download. Resolves once the server has closed its side and had time to report.
 */
async function abort(app: App, scenario: Scenario): Promise<void> {
  const serverClosed = new Promise<void>((resolve) =>
    app.server.once('connection', (socket) => socket.once('close', () => resolve())),
  );
  const headers = { 'x-api-key': KEY, origin: 'https://app.example' };
  if (scenario === 'mid-upload') {
    const client = httpRequest(`${app.url}/upload`, {
      method: 'POST',
      agent: false,
      headers: { ...headers, 'content-length': String(1024 * 1024) },
    });
    client.on('error', () => undefined);
    client.write(Buffer.alloc(64 * 1024, 'x'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.destroy();
  } else {
    await new Promise<void>((resolve) => {
      const client = httpRequest(`${app.url}/large?mib=64`, { agent: false, headers }, (res) => {
        res.once('data', () => {
          client.destroy();
          resolve();
        });
      });
      client.on('error', () => resolve());
      client.end();
    });
  }
  await serverClosed;
  // Koa reports from `onFinished` and stream callbacks, a tick or two after the close.
  await new Promise((resolve) => setTimeout(resolve, 100));
}

const FRAMEWORKS = [
  ['express4', (chain: Chain, up: string) => expressApp(express4 as typeof express5, chain, up)],
  ['express5', (chain: Chain, up: string) => expressApp(express5, chain, up)],
  ['koa2', (chain: Chain, up: string) => koaApp(koa2 as unknown as typeof koa3, chain, up)],
  ['koa3', (chain: Chain, up: string) => koaApp(koa3, chain, up)],
] as const;

describe('a client that aborts mid-request', () => {
  let upstream: Upstream;
  const apps: App[] = [];
  const logged: unknown[] = [];

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    for (const level of ['error', 'warn'] as const)
      vi.spyOn(console, level).mockImplementation((...args) => logged.push(args));
    vi.spyOn(process, 'emitWarning').mockImplementation((...args) => logged.push(args));
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    for (const app of apps) {
      app.server.closeAllConnections();
      app.server.close();
    }
    await upstream?.close();
  });

  describe.each(FRAMEWORKS)('[%s]', (name, start) => {
    it.each(['mid-upload', 'mid-download'] as const)(
      'aborted %s: the gateway (limits, cache, CORS; and the proxy) adds no error to what the framework alone reports, and logs nothing',
      async (scenario) => {
        const reported: Record<Chain, string[]> = { bare: [], limits: [], proxy: [] };
        for (const chain of ['bare', 'limits', 'proxy'] as const) {
          const app = await start(chain, upstream.url);
          apps.push(app);
          await abort(app, scenario);
          reported[chain] = app.errors;
        }
        if (name.startsWith('express'))
          expect(reported).toEqual({ bare: [], limits: [], proxy: [] });
        else {
          // Koa's own, as many with the gateway as without (read or write ECONNRESET: whichever
          // side of the socket noticed first).
          for (const errors of Object.values(reported))
            for (const message of errors) expect(message).toMatch(KOA_CLIENT_ABORT);
          expect(reported.bare.length).toBeGreaterThan(0);
          expect(reported.limits).toHaveLength(reported.bare.length);
          expect(reported.proxy).toHaveLength(reported.bare.length);
        }
        expect(logged).toEqual([]);
      },
      15_000,
    );
  });
});
