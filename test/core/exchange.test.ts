/**
 * The adapter seam every feature leans on: the per-request context and request id, the
 * just-before-headers hook (whoever writes the headers, however), error propagation and the
 * gateway's own responses — in every framework.
 */

import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createMiddleware } from '../../src/adapters/universal.js';
import { prepareErrorResponse, sendPrepared } from '../../src/core/errors.js';
import type { Exchange } from '../../src/core/exchange.js';
import { describeEachFramework } from '../support/frameworks.js';

/** Marks every response just before its headers are written, with the status it saw. */
const markHeaders = createMiddleware('mark', (ex, next) => {
  ex.onHeaders((e: Exchange, label: string) => {
    e.setHeader('x-hooked', `${label} ${e.res.statusCode}`);
  }, 'seen');
  return next();
});

/** Sends `text` on a new connection to `url` and returns all the server sent until it closed. */
function rawExchange(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(text));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
}

const contextEcho = {
  method: 'GET',
  path: '/ctx',
  reply: (gateway: unknown) => ({ body: gateway as object }),
};

describeEachFramework('exchange', (fw) => {
  describe('the request id', () => {
    it('echoes a valid incoming x-request-id and exposes it on the context', async () => {
      const app = await fw.start({ use: [markHeaders], routes: [contextEcho] });
      const res = await app.request('/ctx', { headers: { 'x-request-id': 'abc-123:x/y' } });
      expect(res.headers['x-request-id']).toBe('abc-123:x/y');
      expect(res.json).toEqual({ requestId: 'abc-123:x/y' });
    });

    it.each([
      ['with spaces', 'has spaces'],
      ['too long', 'x'.repeat(129)],
      ['with quotes', '"quoted"'],
    ])('replaces an invalid one (%s) with a generated UUID', async (_label, incoming) => {
      const app = await fw.start({ use: [markHeaders], routes: [contextEcho] });
      const res = await app.request('/ctx', { headers: { 'x-request-id': incoming } });
      expect(res.headers['x-request-id']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(res.json).toEqual({ requestId: res.headers['x-request-id'] });
    });

    it('gives two requests different ids and shares one context between middlewares', async () => {
      const seen: string[] = [];
      const record = createMiddleware('record', (ex, next) => {
        seen.push(ex.gateway.requestId);
        return next();
      });
      const app = await fw.start({ use: [record, markHeaders, record], routes: [contextEcho] });
      const a = await app.request('/ctx');
      const b = await app.request('/ctx');
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
      expect(seen).toEqual([
        a.headers['x-request-id'],
        a.headers['x-request-id'],
        b.headers['x-request-id'],
        b.headers['x-request-id'],
      ]);
    });

    it('keeps echoing it on a thrown error (Koa clears headers on errors)', async () => {
      const app = await fw.start({
        use: [markHeaders],
        routes: [{ method: 'GET', path: '/boom', reply: { throwStatus: 500 } }],
      });
      const res = await app.request('/boom', { headers: { 'x-request-id': 'err-1' } });
      expect(res.status).toBe(500);
      expect(res.headers['x-request-id']).toBe('err-1');
      expect(res.headers['x-hooked']).toBe('seen 500');
    });

    it('keeps echoing it on a thrown error after middlewares that register no header hook', async () => {
      const passes = createMiddleware('passes', (_ex, next) => next());
      const app = await fw.start({
        use: [passes],
        routes: [
          { method: 'GET', path: '/boom', reply: { throwStatus: 503 } },
          { method: 'GET', path: '/ok' },
        ],
      });
      const failed = await app.request('/boom', { headers: { 'x-request-id': 'err-2' } });
      expect([failed.status, failed.headers['x-request-id']]).toEqual([503, 'err-2']);
      const ok = await app.request('/ok', { headers: { 'x-request-id': 'ok-2' } });
      expect([ok.status, ok.headers['x-request-id']]).toEqual([200, 'ok-2']);
    });
  });

  describe('onHeaders hooks', () => {
    it('run for a plain response with the final status', async () => {
      const app = await fw.start({
        use: [markHeaders],
        routes: [{ method: 'GET', path: '/r', reply: { status: 201, body: 'x' } }],
      });
      const res = await app.request('/r');
      expect(res.status).toBe(201);
      expect(res.headers['x-hooked']).toBe('seen 201');
    });

    it('run for a 404 nobody handled', async () => {
      const app = await fw.start({ use: [markHeaders] });
      const res = await app.request('/nothing');
      expect(res.status).toBe(404);
      expect(res.headers['x-hooked']).toBe('seen 404');
    });

    it('see headers passed straight to res.writeHead (object and flat array forms)', async () => {
      const raw = (headers: Record<string, string> | string[]) => ({
        express: (_req: unknown, res: import('node:http').ServerResponse) => {
          res.writeHead(202, headers as never);
          res.end('raw');
        },
        koa: (ctx: { respond: boolean; res: import('node:http').ServerResponse }) => {
          ctx.respond = false;
          ctx.res.writeHead(202, 'Accepted', headers as never);
          ctx.res.end('raw');
        },
      });
      const hookReadsHeader = createMiddleware('reads', (ex, next) => {
        ex.onHeaders((e: Exchange) => e.setHeader('x-saw', String(e.getHeader('x-direct'))), null);
        return next();
      });
      const app = await fw.start({
        use: [hookReadsHeader],
        routes: [
          { method: 'GET', path: '/obj', ...raw({ 'x-direct': 'object' }) },
          { method: 'GET', path: '/arr', ...raw(['x-direct', 'array']) },
        ],
      });
      const obj = await app.request('/obj');
      expect([obj.status, obj.body, obj.headers['x-saw']]).toEqual([202, 'raw', 'object']);
      const arr = await app.request('/arr');
      expect([arr.status, arr.headers['x-saw']]).toEqual([202, 'array']);
    });

    it('run for streamed bodies', async () => {
      const stream = {
        express: (_req: unknown, res: import('node:http').ServerResponse) => {
          Readable.from(['a', 'b', 'c']).pipe(res);
        },
        koa: (ctx: { body: unknown }) => {
          ctx.body = Readable.from(['a', 'b', 'c']);
        },
      };
      const app = await fw.start({
        use: [markHeaders],
        routes: [{ method: 'GET', path: '/s', ...stream }],
      });
      const res = await app.request('/s');
      expect(res.body).toBe('abc');
      expect(res.headers['x-hooked']).toBe('seen 200');
    });
  });

  describe('errors in a core middleware', () => {
    it('reach the framework error handling, sync or async', async () => {
      const syncThrow = createMiddleware('sync', (ex, next) => {
        if (ex.path === '/sync') throw Object.assign(new Error('sync'), { status: 418 });
        return next();
      });
      const asyncThrow = createMiddleware('async', async (ex, next) => {
        if (ex.path === '/async') throw Object.assign(new Error('async'), { status: 418 });
        return next();
      });
      const app = await fw.start({
        expectsErrors: /^(sync|async)$/,
        use: [syncThrow, asyncThrow],
        routes: [{ method: 'GET', path: '/ok' }],
        expressErrorHandler: true,
      });
      expect((await app.request('/sync')).status).toBe(418);
      expect((await app.request('/async')).status).toBe(418);
      expect((await app.request('/ok')).status).toBe(200);
    });

    it('are caught by the test harness when no test expected them', async () => {
      const throws = createMiddleware('throws', () => {
        throw new Error('not planned');
      });
      const app = await fw.start({ use: [throws] });
      expect((await app.request('/x')).status).toBe(500);
      // The harness would fail this test after it ends; take the error so that it does not.
      const caught = app.unexpectedErrors.splice(0);
      expect(caught.map((err) => (err as Error).message)).toEqual(['not planned']);
    });
  });

  describe('the gateway’s own responses', () => {
    it('send a prepared JSON body with overrides and keep headers set earlier', async () => {
      const prepared = prepareErrorResponse(
        'forbidden',
        {
          status: 401,
          body: { error: { code: 'NO_KEY' } },
          headers: { 'WWW-Authenticate': 'ApiKey' },
        },
        'test',
        'response',
      );
      const deny = createMiddleware('deny', (ex) => {
        ex.setHeader('x-earlier', 'kept');
        sendPrepared(ex, prepared, [['retry-after', '3']]);
      });
      const app = await fw.start({ use: [deny] });
      const res = await app.request('/anything');
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: { code: 'NO_KEY' } });
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['content-length']).toBe(
        String(Buffer.byteLength('{"error":{"code":"NO_KEY"}}')),
      );
      expect(res.headers['www-authenticate']).toBe('ApiKey');
      expect(res.headers['retry-after']).toBe('3');
      expect(res.headers['x-earlier']).toBe('kept');
    });

    it('answer HEAD with the GET’s Content-Length and not one byte of body (raw socket)', async () => {
      const prepared = prepareErrorResponse('forbidden', undefined, 't', 'r');
      const deny = createMiddleware('deny', (ex) => sendPrepared(ex, prepared));
      const app = await fw.start({ use: [deny] });
      // An HTTP client reads no body after a HEAD whatever the server sends: read the bytes.
      const raw = await rawExchange(
        app.url,
        'HEAD /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
      );
      const end = raw.indexOf('\r\n\r\n');
      expect(raw.slice(0, raw.indexOf('\r\n'))).toBe('HTTP/1.1 403 Forbidden');
      expect(raw.slice(0, end).toLowerCase()).toContain(`content-length: ${prepared.body.length}`);
      expect(raw.slice(end + 4)).toBe('');
    });
  });
});

describe('prepareErrorResponse()', () => {
  it('uses the documented defaults', () => {
    const prepared = prepareErrorResponse('timeout', undefined, 'proxy', 'responses.timeout');
    expect(prepared.status).toBe(504);
    expect(prepared.body.toString()).toBe('{"message":"Endpoint request timed out"}');
  });

  it('replaces the message only', () => {
    expect(
      prepareErrorResponse('tooManyRequests', { message: 'Slow down' }, 't', 'r').body.toString(),
    ).toBe('{"message":"Slow down"}');
  });

  it('refuses a bad status naming the option', () => {
    expect(() =>
      prepareErrorResponse('forbidden', { status: 99 }, 'usagePlans', 'responses.forbidden'),
    ).toThrow(/portcullis\.usagePlans: option "responses\.forbidden\.status"/);
    expect(() =>
      prepareErrorResponse('forbidden', 'nope' as never, 'usagePlans', 'responses.forbidden'),
    ).toThrow(TypeError);
  });
});

describe('createMiddleware()', () => {
  it('refuses to be called with arguments from neither framework', () => {
    const mw = createMiddleware('x', (_ex, next) => next()) as unknown as (
      ...args: unknown[]
    ) => unknown;
    expect(() => mw({}, {})).toThrow(/portcullis\.x: call me as Express/);
    expect(mw.name).toBe('x');
    expect(mw.length).toBe(3);
  });
});
