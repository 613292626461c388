import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { RawConnection } from '../../../test/support/raw-http.js';
import {
  deadPort,
  type EchoReply,
  mountAt,
  startEchoUpstream,
  startResettingUpstream,
  type Upstream,
} from '../../../test/support/upstream.js';
import { createMiddleware } from '../../adapters/universal.js';
import type { GatewayContext } from '../../core/context.js';
import { cache } from '../cache/index.js';
import { cors } from '../cors/index.js';
import { proxy } from './index.js';

const APP = 'https://app.example.com';

let up: Upstream;
let other: Upstream;
let dead: string;
let resetting: Awaited<ReturnType<typeof startResettingUpstream>>;

beforeAll(async () => {
  [up, other, resetting] = await Promise.all([
    startEchoUpstream(),
    startEchoUpstream(),
    startResettingUpstream(),
  ]);
  dead = (await deadPort()).url;
});
afterAll(async () => {
  await Promise.all([up.close(), other.close(), resetting.close()]);
});

const echo = (res: { json: unknown }) => res.json as EchoReply;

/**
 * What Koa itself reports on its `error` event when a client aborts while a response is in
 * flight, proxy or not (a bare Koa app shows the same): the socket's error, seen by on-finished,
 * and in Koa 3 the `Premature close` of its stream pipeline. Anything else, such as an error of
 * the proxy's own, still fails the test; Express must see none at all.
 */
const KOA_CLIENT_ABORT = /^(Parse Error|read ECONNRESET|write ECONNRESET|Premature close)$/;
const koaOnly = (kind: string) => (kind === 'koa' ? KOA_CLIENT_ABORT : undefined);

/** Records what later middlewares left on the context once the response is done. */
function observer(seen: Array<number | undefined>) {
  return createMiddleware('observe', async (ex, next) => {
    await next();
    seen.push(ex.gateway.integrationLatency);
  });
}

describeEachFramework('proxy()', (fw) => {
  describe('forwarding', () => {
    it('forwards method, path, query and body, and answers with the upstream status, headers and body', async () => {
      const latencies: Array<number | undefined> = [];
      const app = await fw.start({ use: [observer(latencies), proxy(up.url)] });
      const res = await app.request('/items/7?q=a%20b&x=1', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-42' },
        body: '{"n":12345678901234567890}',
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['x-request-id']).toBe('req-42');
      const seen = echo(res);
      expect(seen.method).toBe('POST');
      expect(seen.url).toBe('/items/7?q=a%20b&x=1');
      expect(seen.body).toBe('{"n":12345678901234567890}');
      expect(seen.headers['x-request-id']).toBe('req-42');
      expect(latencies).toHaveLength(1);
      expect(latencies[0]).toBeGreaterThanOrEqual(0);
    });

    it('forwards the generated request id when the client sent none', async () => {
      const app = await fw.start({ use: [proxy(up.url)] });
      const res = await app.request('/id');
      expect(echo(res).headers['x-request-id']).toBe(res.headers['x-request-id']);
    });

    it.each(
      ['PUT', 'PATCH', 'DELETE', 'GET', 'OPTIONS'].flatMap((method) => [
        [method, { 'content-length': '7' }],
        [method, { 'transfer-encoding': 'chunked' }],
      ]),
    )('forwards %s with its body, framed as %j', async (method, framing) => {
      const app = await fw.start({ use: [proxy(up.url)] });
      const res = await app.request('/m', {
        method,
        body: 'payload',
        headers: { 'content-type': 'text/plain', ...framing },
      });
      expect([echo(res).method, echo(res).body, echo(res).bodyLength]).toEqual([
        method,
        'payload',
        7,
      ]);
    });

    it('prepends the target path', async () => {
      const app = await fw.start({ use: [proxy(`${up.url}/api/v1`)] });
      expect(echo(await app.request('/x?y=1')).url).toBe('/api/v1/x?y=1');
    });

    it('passes upstream error statuses through untouched', async () => {
      const app = await fw.start({ use: [proxy(up.url)] });
      for (const status of [201, 404, 500, 503]) {
        const res = await app.request(`/status/${status}`);
        expect(res.status).toBe(status);
        expect(echo(res).url).toBe(`/status/${status}`);
      }
    });

    it('relays 204 and HEAD without a body, the connection staying usable', async () => {
      // Node's client never reads a body after HEAD or 204, so a raw connection is used: a body
      // sent anyway would be parsed as the start of the next response.
      const app = await fw.start({ use: [proxy(up.url)] });
      const conn = await RawConnection.open(app.url);
      const exchange = async (method: string, path: string) => {
        conn.write(`${method} ${path} HTTP/1.1\r\nHost: gateway\r\n\r\n`);
        return conn.response(method);
      };
      const empty = await exchange('GET', '/status/204');
      const head = await exchange('HEAD', '/h');
      const after = await exchange('GET', '/after');
      conn.destroy();
      expect([empty?.status, head?.status, after?.status]).toEqual([204, 200, 200]);
      expect(head?.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(after?.body ?? '').url).toBe('/after');
    });

    it('adds no Content-Type the upstream did not send, read whole or streamed, and raises no error', async () => {
      const errors: unknown[] = [];
      // Express: an error handler after the proxy sees any error it passes on after answering.
      const recordErrors = {
        express: (err: unknown, _req: unknown, _res: unknown, next: (err: unknown) => void) => {
          errors.push(err);
          next(err);
        },
      };
      for (const bufferResponsesUpTo of [65_536, 0]) {
        const app = await fw.start({
          use: [proxy({ target: up.url, bufferResponsesUpTo }), recordErrors],
        });
        const res = await app.request('/untyped');
        expect([res.status, res.body, res.headers['content-type']]).toEqual([
          200,
          'raw bytes',
          undefined,
        ]);
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(errors).toEqual([]);
    });

    it('forwards the target without its fragment, which no request-target carries (RFC 9112 §3.2)', async () => {
      // Raw, so that the `#` reaches the gateway as written (clients drop it).
      const app = await fw.start({
        use: [proxy({ target: up.url, forwardApiKey: false, apiKeySources: { query: 'key' } })],
      });
      const conn = await RawConnection.open(app.url);
      const urls: string[] = [];
      for (const target of ['/x#frag', '/x?a=1#f?b=2', '/x?a=1&key=k#&key=k', '/x/..#/../..']) {
        conn.write(`GET ${target} HTTP/1.1\r\nHost: gateway\r\n\r\n`);
        const res = await conn.response();
        urls.push(res?.status === 200 ? JSON.parse(res.body).url : res?.status);
      }
      conn.destroy();
      expect(urls).toEqual(['/x', '/x?a=1', '/x?a=1', '/']);
    });

    it('forwards an absolute-form target as the router reads it: its path and query, not its authority', async () => {
      // Raw: a client sends the absolute form only to a proxy; Node's parser lets it through,
      // and Express and Koa route `http://host/x` as `/x`.
      const app = await fw.start({ use: [proxy({ target: `${up.url}/base` })] });
      const urls = async (targets: string[]) => {
        const seen: Array<string | number | undefined> = [];
        // One connection each: a refusal closes its connection.
        for (const target of targets) {
          const conn = await RawConnection.open(app.url);
          conn.write(`GET ${target} HTTP/1.1\r\nHost: gateway\r\n\r\n`);
          const res = await conn.response();
          conn.destroy();
          seen.push(res?.status === 200 ? JSON.parse(res.body).url : res?.status);
        }
        return seen;
      };
      const absolute = await urls([
        'http://other.example/x?a=1',
        'HTTP://other.example:8080/x#?a=1',
        'http://other.example?a=1',
        'http://../admin',
        'http://x/y/../../admin',
      ]);
      const origin = await urls(['/x?a=1', '/x', '/?a=1', '/admin', '/y/../../admin']);
      expect(origin).toEqual(['/base/x?a=1', '/base/x', '/base/?a=1', '/base/admin', 400]);
      expect(absolute).toEqual(origin);
    });

    it('leaves an asterisk-form target (OPTIONS *) to the app, forwarding nothing', async () => {
      const app = await fw.start({ use: [proxy({ target: `${up.url}/base` })] });
      const conn = await RawConnection.open(app.url);
      conn.write('OPTIONS * HTTP/1.1\r\nHost: gateway\r\n\r\n');
      const res = await conn.response('OPTIONS');
      conn.destroy();
      expect(res?.status).toBe(404);
    });

    it('keeps repeated Set-Cookie headers', async () => {
      const app = await fw.start({ use: [proxy(up.url)] });
      const res = await app.request('/cookies');
      expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    });
  });

  describe('mounting', () => {
    it('strips the mount prefix (Express app.use(path), Koa prefix option)', async () => {
      const mw = proxy({ target: up.url, prefix: fw.kind === 'koa' ? '/orders' : undefined });
      const app = await fw.start({
        use: [mountAt(fw.name, '/orders', mw)],
        routes: [{ method: 'GET', path: '/local', reply: { body: 'local' } }],
      });
      expect(echo(await app.request('/orders/items?x=1')).url).toBe('/items?x=1');
      expect(echo(await app.request('/orders')).url).toBe('/');
      expect(echo(await app.request('/orders?x=1')).url).toBe('/?x=1');
      expect((await app.request('/local')).body).toBe('local');
      expect((await app.request('/ordersx')).status).toBe(404);
    });

    it('with prefix, ends the mounted path at a fragment as the router does', async () => {
      const app = await fw.start({
        use: [proxy({ target: up.url, prefix: '/orders', stripPrefix: false })],
      });
      // Raw: clients drop a fragment; Node's parser lets `#` through to the router.
      const conn = await RawConnection.open(app.url);
      const urls: Array<string | number | undefined> = [];
      for (const target of ['/orders#f', '/orders/x#/../../..']) {
        conn.write(`GET ${target} HTTP/1.1\r\nHost: gateway\r\n\r\n`);
        const res = await conn.response();
        urls.push(res?.status === 200 ? JSON.parse(res.body).url : res?.status);
      }
      conn.destroy();
      expect(urls).toEqual(['/orders', '/orders/x']);
    });

    it('with prefix, lets other paths through to the next middleware', async () => {
      const app = await fw.start({
        use: [proxy({ target: up.url, prefix: '/api/' })],
        routes: [{ method: 'GET', path: '/other', reply: { body: 'local' } }],
      });
      expect(echo(await app.request('/api/a')).url).toBe('/a');
      expect((await app.request('/other')).body).toBe('local');
    });

    it('forwards the full path with stripPrefix: false', async () => {
      const mw = proxy({
        target: up.url,
        prefix: fw.kind === 'koa' ? '/orders' : undefined,
        stripPrefix: false,
      });
      const app = await fw.start({ use: [mountAt(fw.name, '/orders', mw)] });
      expect(echo(await app.request('/orders/items?x=1')).url).toBe('/orders/items?x=1');
    });

    it('rewrites paths as http-proxy-middleware does (object or function)', async () => {
      const app = await fw.start({
        use: [
          proxy({ target: up.url, prefix: '/a', pathRewrite: { '^/v1': '/api', '^/x': '/never' } }),
          proxy({ target: up.url, prefix: '/b', pathRewrite: (path) => path.toUpperCase() }),
        ],
      });
      expect(echo(await app.request('/a/v1/items')).url).toBe('/api/items');
      expect(echo(await app.request('/a/other')).url).toBe('/other');
      expect(echo(await app.request('/b/low')).url).toBe('/LOW');
    });
  });

  describe('targets', () => {
    it('maps /dev and /prod stages to different backends with a target function (README recipe)', async () => {
      const stageVariables: Record<string, { backend: string }> = {
        dev: { backend: up.url },
        prod: { backend: other.url },
      };
      const stages = proxy({
        // biome-ignore lint/suspicious/noExplicitAny: Express req or Koa ctx
        target: (req: any) => stageVariables[(req.path as string).split('/')[1]!]!.backend,
        pathRewrite: { '^/(dev|prod)': '' },
      });
      const app = await fw.start({ use: [stages] });
      const devBefore = up.hits.get('/stage-test') ?? 0;
      const prodBefore = other.hits.get('/stage-test') ?? 0;
      expect(echo(await app.request('/dev/stage-test')).url).toBe('/stage-test');
      expect(echo(await app.request('/prod/stage-test?x=1')).url).toBe('/stage-test?x=1');
      expect(up.hits.get('/stage-test')).toBe(devBefore + 1);
      expect(other.hits.get('/stage-test')).toBe(prodBefore + 1);
    });

    it('goes round-robin over a list', async () => {
      const app = await fw.start({ use: [proxy([up.url, other.url])] });
      const a = up.hits.get('/rr') ?? 0;
      const b = other.hits.get('/rr') ?? 0;
      for (let i = 0; i < 4; i++) expect((await app.request('/rr')).status).toBe(200);
      expect([(up.hits.get('/rr') ?? 0) - a, (other.hits.get('/rr') ?? 0) - b]).toEqual([2, 2]);
    });

    it('skips an upstream that refused for ejectFor seconds and retries idempotent requests once', async () => {
      const clock = manualClock();
      const app = await fw.start({ use: [proxy({ target: [dead, up.url], ejectFor: 10, clock })] });
      // First turn goes to the dead one: a POST is not retried.
      expect((await app.request('/e', { method: 'POST', body: 'x' })).status).toBe(502);
      // Ejected: every request now goes to the live one.
      expect((await app.request('/e', { method: 'POST', body: 'x' })).status).toBe(200);
      expect((await app.request('/e', { method: 'POST', body: 'x' })).status).toBe(200);
      clock.advance(10_000);
      // Back in the rotation: the GET is refused there and retried on the next upstream.
      expect((await app.request('/e')).status).toBe(200);
      clock.advance(10_000);
      expect((await app.request('/e', { method: 'POST', body: 'x' })).status).toBe(502);
    });
  });

  describe('failures', () => {
    it('answers 502 Bad Gateway when the upstream refuses connections', async () => {
      const app = await fw.start({ use: [proxy(dead)] });
      const res = await app.request('/x');
      expect(res.status).toBe(502);
      expect(res.json).toEqual({ message: 'Bad Gateway' });
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    });

    it('answers 502 when the upstream resets the connection or answers garbage', async () => {
      const app = await fw.start({
        use: [proxy({ target: up.url, prefix: '/up' }), proxy(resetting.url)],
      });
      for (const path of ['/up/reset', '/up/invalid', '/any']) {
        const res = await app.request(path);
        expect([path, res.status, res.json]).toEqual([path, 502, { message: 'Bad Gateway' }]);
      }
    });

    it('answers 504 when the upstream is slower than timeout, and cancels the upstream request', async () => {
      const aborted = new Promise((resolve) => up.events.once('aborted', resolve));
      const latencies: Array<number | undefined> = [];
      const app = await fw.start({
        use: [observer(latencies), proxy({ target: up.url, timeout: 200 })],
      });
      const started = performance.now();
      const res = await app.request('/slow?ms=5000');
      expect(res.status).toBe(504);
      expect(res.json).toEqual({ message: 'Endpoint request timed out' });
      expect(performance.now() - started).toBeLessThan(2000);
      expect(latencies[0]).toBeGreaterThanOrEqual(199);
      await expect(aborted).resolves.toBe('/slow');
    });

    it('lets the 502 and 504 responses be replaced', async () => {
      const app = await fw.start({
        use: [
          proxy({
            target: up.url,
            prefix: '/slow',
            stripPrefix: false,
            timeout: 100,
            responses: { timeout: { status: 503, message: 'Try later' } },
          }),
          proxy({ target: dead, responses: { badGateway: { body: { error: 'down' } } } }),
        ],
      });
      const slow = await app.request('/slow?ms=3000');
      expect([slow.status, slow.json]).toEqual([503, { message: 'Try later' }]);
      const down = await app.request('/x');
      expect([down.status, down.json]).toEqual([502, { error: 'down' }]);
    });

    it('answers 502 when the upstream breaks off a body it reads whole, and keeps serving', async () => {
      const app = await fw.start({ use: [proxy(up.url)] });
      const broken = await app.request('/reset-mid');
      expect([broken.status, broken.json]).toEqual([502, { message: 'Bad Gateway' }]);
      expect((await app.request('/after')).status).toBe(200);
    });

    it('ends the client response when the upstream resets a streamed body, and keeps serving', async () => {
      const app = await fw.start({
        expectsErrors: /^aborted$/,
        use: [proxy({ target: up.url, bufferResponsesUpTo: 0 })],
      });
      await expect(app.request('/reset-mid')).rejects.toThrow();
      expect((await app.request('/after')).status).toBe(200);
    });

    it('answers 504 when a body it reads whole does not arrive within the timeout', async () => {
      const app = await fw.start({ use: [proxy({ target: up.url, timeout: 300 })] });
      const stalled = await app.request('/stall-body');
      expect([stalled.status, stalled.json]).toEqual([
        504,
        { message: 'Endpoint request timed out' },
      ]);
    });

    it('ends the client connection when a streamed body stalls (idleTimeout), destroys the upstream and counts an integration timeout', async () => {
      const contexts: GatewayContext[] = [];
      const app = await fw.start({
        // Koa reports the destroyed stream's error on its `error` event.
        expectsErrors: /idle for 300 ms/,
        use: [
          createMiddleware('observe', (ex, next) => {
            contexts.push(ex.gateway);
            return next();
          }),
          proxy({ target: up.url, bufferResponsesUpTo: 0, idleTimeout: 300 }),
        ],
      });
      const aborted = new Promise((resolve) => up.events.once('aborted', resolve));
      const started = performance.now();
      await expect(app.request('/stall-body')).rejects.toThrow();
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      expect(performance.now() - started).toBeLessThan(3000);
      await expect(aborted).resolves.toBe('/stall-body');
      expect(contexts.map((gateway) => gateway.integrationTimedOut)).toEqual([true]);
      expect((await app.request('/after')).status).toBe(200);
    });

    it('does not time out a slow client reading a streamed body (backpressure is not a stall)', async () => {
      // Wide margins: on a loaded machine the event loop itself can pause for a few hundred ms.
      const app = await fw.start({ use: [proxy({ target: up.url, idleTimeout: 600 })] });
      const bytes = await new Promise<number>((resolve, reject) => {
        httpRequest(`${app.url}/large?mib=8`, { agent: false }, (res) => {
          let received = 0;
          let paused = false;
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (!paused && received > 1024 * 1024) {
              paused = true;
              res.pause();
              setTimeout(() => res.resume(), 1800);
            }
          });
          res.on('end', () => resolve(received));
          res.on('error', reject);
        })
          .on('error', reject)
          .end();
      });
      expect(bytes).toBe(8 * 1024 * 1024);
    });

    it.each([
      ['Content-Length', { 'content-length': String(1024 * 1024) }],
      ['chunked', { 'transfer-encoding': 'chunked' }],
    ])(
      'a client aborting mid-upload (%s) raises no error and the upstream never sees a complete request',
      async (_framing, headers) => {
        const app = await fw.start({ expectsErrors: koaOnly(fw.kind), use: [proxy(up.url)] });
        const firstBytes = new Promise((resolve) => up.events.once('first-bytes', resolve));
        const before = up.hits.get('/upload-abort') ?? 0;
        const client = httpRequest(`${app.url}/upload-abort`, {
          method: 'PUT',
          agent: false,
          headers,
        });
        client.on('error', () => undefined);
        client.write(Buffer.alloc(64 * 1024, 'x'));
        await expect(firstBytes).resolves.toBe('/upload-abort');
        client.destroy();
        // The upstream got the request's head; its body never completes, so no echo is sent.
        expect(up.hits.get('/upload-abort')).toBe(before + 1);
        expect((await app.request('/after-abort')).status).toBe(200);
      },
    );

    it('a client aborting mid-download raises no error and frees the upstream', async () => {
      const app = await fw.start({ expectsErrors: koaOnly(fw.kind), use: [proxy(up.url)] });
      const upstreamClosed = new Promise<void>((resolve) =>
        up.events.once('request', (req: IncomingMessage) => req.socket.once('close', resolve)),
      );
      await new Promise<void>((resolve, reject) => {
        const client = httpRequest(`${app.url}/large?mib=64`, { agent: false }, (res) => {
          res.once('data', () => {
            client.destroy();
            resolve();
          });
        });
        client.on('error', reject);
        client.end();
      });
      // The upstream connection is destroyed long before its 64 MiB are through.
      await upstreamClosed;
      expect((await app.request('/after-abort')).status).toBe(200);
    });

    it('aborts the upstream request when the client disconnects', async () => {
      const app = await fw.start({ use: [proxy(up.url)] });
      const aborted = new Promise((resolve) => up.events.once('aborted', resolve));
      const arrived = new Promise((resolve) => up.events.once('request', resolve));
      const client = httpRequest(`${app.url}/hang`, { agent: false });
      client.on('error', () => undefined);
      client.end();
      await arrived;
      client.destroy();
      await expect(aborted).resolves.toBe('/hang');
    });
  });

  describe('headers', () => {
    it('appends X-Forwarded-For/-Proto/-Host and sends the target host', async () => {
      const app = await fw.start({ use: [proxy(up.url)] });
      const url = new URL(app.url);
      const seen = echo(
        await app.request('/h', {
          headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
        }),
      );
      expect(seen.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
      expect(seen.headers['x-forwarded-proto']).toBe('https, http');
      expect(seen.headers['x-forwarded-host']).toBe(url.host);
      expect(seen.headers.host).toBe(new URL(up.url).host);
    });

    it('keeps the client Host with changeOrigin: false and adds no X-Forwarded-* with xfwd: false', async () => {
      const app = await fw.start({
        use: [proxy({ target: up.url, changeOrigin: false, xfwd: false })],
      });
      const seen = echo(await app.request('/h'));
      expect(seen.headers.host).toBe(new URL(app.url).host);
      expect(seen.headers['x-forwarded-for']).toBeUndefined();
    });

    it('drops hop-by-hop headers both ways', async () => {
      const app = await fw.start({ use: [proxy(up.url)] });
      const res = await app.request('/hop', {
        headers: {
          connection: 'x-drop',
          'x-drop': 'v',
          te: 'trailers',
          'proxy-authorization': 'p',
          'x-keep': 'k',
        },
      });
      const seen = echo(res);
      expect(seen.headers['x-drop']).toBeUndefined();
      expect(seen.headers.te).toBeUndefined();
      expect(seen.headers['proxy-authorization']).toBeUndefined();
      expect(seen.headers['x-keep']).toBe('k');
      expect(res.headers['x-hop']).toBeUndefined();
      expect(res.headers['keep-alive']).not.toBe('timeout=99');
      expect(res.headers['x-kept']).toBe('yes');
    });

    it('does not forward x-api-key unless forwardApiKey is true', async () => {
      const app = await fw.start({
        use: [proxy({ target: up.url, prefix: '/fwd', forwardApiKey: true }), proxy(up.url)],
      });
      const key = { 'x-api-key': 'secret' };
      expect(echo(await app.request('/k', { headers: key })).headers['x-api-key']).toBeUndefined();
      expect(echo(await app.request('/fwd/k', { headers: key })).headers['x-api-key']).toBe(
        'secret',
      );
    });

    it('applies requestHeaders and responseHeaders set/remove', async () => {
      const app = await fw.start({
        use: [
          proxy({
            target: up.url,
            requestHeaders: { set: { 'X-Stage': 'dev' }, remove: ['cookie'] },
            responseHeaders: { set: { 'x-served-by': 'gw' }, remove: 'x-kept' },
          }),
        ],
      });
      const res = await app.request('/hop', { headers: { cookie: 'a=1' } });
      expect(echo(res).headers['x-stage']).toBe('dev');
      expect(echo(res).headers.cookie).toBeUndefined();
      expect(res.headers['x-served-by']).toBe('gw');
      expect(res.headers['x-kept']).toBeUndefined();
    });
  });

  describe('with other middlewares in front', () => {
    it('cors replaces the upstream CORS headers with the gateway’s', async () => {
      const app = await fw.start({
        use: [cors({ origin: [APP], credentials: true }), proxy(up.url)],
      });
      const res = await app.request('/cors', { headers: { origin: APP } });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers.vary).toMatch(/Origin/);
    });

    it('cors headers are on the 502 too', async () => {
      const app = await fw.start({ use: [cors({ origin: [APP] }), proxy(dead)] });
      const res = await app.request('/x', { headers: { origin: APP } });
      expect([res.status, res.headers['access-control-allow-origin']]).toEqual([502, APP]);
    });

    it('gateway.cache before the proxy: the second identical GET does not reach the upstream', async () => {
      const app = await fw.start({ use: [cache(60), proxy(up.url)] });
      const before = up.hits.get('/real-cache') ?? 0;
      const first = await app.request('/real-cache?v=1');
      const second = await app.request('/real-cache?v=1');
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.body).toBe(first.body);
      expect(second.headers['cache-status']).toMatch(/hit/);
      expect(up.hits.get('/real-cache')).toBe(before + 1);
    });
  });
});
