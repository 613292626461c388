import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachFramework, type Route } from '../../../test/support/frameworks.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { deadPort } from '../../../test/support/upstream.js';
import { proxy } from '../proxy/index.js';
import { cache } from './index.js';

// biome-ignore lint/suspicious/noExplicitAny: framework-specific test handlers.
type Any = any;

/** A stream that sends `parts` one tick apart (so the body really is streamed), then ends or fails. */
function slowStream(parts: string[], fail = false): Readable {
  let i = 0;
  return new Readable({
    read() {
      setTimeout(() => {
        if (i < parts.length) this.push(parts[i++]);
        else if (fail) this.destroy(new Error('backend died mid-stream'));
        else this.push(null);
      }, 1);
    },
  });
}

const JSON_BODY = { city: 'Oslo', temps: [1, 2, 3], note: 'ø' };
const GZIPPED = gzipSync(Buffer.from('compressed body '.repeat(20)));

let upstreamUrl = '';
const upstream = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', etag: '"up-1"', 'x-from': 'upstream' });
  const body = slowStream(['{"proxied":', 'true}']);
  body.pipe(res);
});
beforeAll(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
});
afterAll(() => {
  upstream.closeAllConnections();
  upstream.close();
});

function fetchUpstream(): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => get(upstreamUrl, resolve).on('error', reject));
}

/** Upstream headers worth forwarding (what a proxy would copy). */
function forwarded(up: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['content-type', 'etag', 'x-from']) out[name] = String(up.headers[name]);
  return out;
}

/** GETs `url` and keeps the body as bytes (the test client's text decoding would hide a mangled byte). */
function fetchBytes(url: string): Promise<{ headers: IncomingMessage['headers']; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ headers: res.headers, bytes: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

/** Each way a framework can produce a body, with the bytes the client must get. */
const bodies: Array<{ name: string; route: Omit<Route, 'method' | 'path'>; expected: string }> = [
  {
    name: 'Express res.send(string) / Koa string',
    route: {
      express: (_req: Any, res: Any) => res.type('text/plain').send('plain text ✓'),
      koa: (ctx: Any) => {
        ctx.body = 'plain text ✓';
      },
    },
    expected: 'plain text ✓',
  },
  {
    name: 'Express res.json / Koa object',
    route: {
      express: (_req: Any, res: Any) => res.json(JSON_BODY),
      koa: (ctx: Any) => {
        ctx.body = JSON_BODY;
      },
    },
    expected: JSON.stringify(JSON_BODY),
  },
  {
    name: 'Express res.write + res.end / Koa Buffer',
    route: {
      express: (_req: Any, res: Any) => {
        res.setHeader('content-type', 'application/octet-stream');
        res.write(Buffer.from('bytes '));
        res.write('and ');
        res.end('more');
      },
      koa: (ctx: Any) => {
        ctx.body = Buffer.from('bytes and more');
      },
    },
    expected: 'bytes and more',
  },
  {
    name: 'a piped stream (Express pipe / Koa stream body)',
    route: {
      express: (_req: Any, res: Any) => {
        res.setHeader('content-type', 'text/plain');
        slowStream(['one ', 'two ', 'three']).pipe(res);
      },
      koa: (ctx: Any) => {
        ctx.type = 'text/plain';
        ctx.body = slowStream(['one ', 'two ', 'three']);
      },
    },
    expected: 'one two three',
  },
  {
    name: 'a proxied upstream response',
    route: {
      express: (_req: Any, res: Any) => {
        fetchUpstream().then((up) => {
          res.status(up.statusCode ?? 502).set(forwarded(up));
          up.pipe(res);
        });
      },
      koa: async (ctx: Any) => {
        const up = await fetchUpstream();
        ctx.status = up.statusCode ?? 502;
        ctx.set(forwarded(up));
        ctx.body = up;
      },
    },
    expected: '{"proxied":true}',
  },
];

describeEachFramework('cache() body capture', (fw) => {
  /** An app with `cache(60)` in front of one GET route given per framework. */
  const startRoute = (
    path: string,
    route: Pick<Route, 'express' | 'koa'>,
    expectsErrors?: RegExp,
  ) => fw.start({ use: [cache(60)], routes: [{ method: 'GET', path, ...route }], expectsErrors });

  describe.each(bodies)('with $name', ({ route, expected }) => {
    it('replays the body and headers byte-identical without running the handler again', async () => {
      let calls = 0;
      const handler = fw.kind === 'express' ? route.express! : route.koa!;
      const counting = (...args: Any[]) => {
        calls += 1;
        return handler(...args);
      };
      const app = await startRoute('/b', { [fw.kind]: counting });
      const miss = await app.request('/b');
      const hit = await app.request('/b');
      expect(calls).toBe(1);
      expect(miss.body).toBe(expected);
      expect(hit.body).toBe(expected);
      expect(miss.headers['cache-status']).toBe('portcullis; fwd=miss; stored');
      expect(hit.headers['cache-status']).toBe('portcullis; hit; ttl=60');
      expect(hit.headers['content-type']).toBe(miss.headers['content-type']);
      expect(hit.headers['content-length']).toBe(String(Buffer.byteLength(expected)));
      if (miss.headers.etag !== undefined) expect(hit.headers.etag).toBe(miss.headers.etag);
    });
  });

  /** Every byte value, repeated to `length`: not UTF-8, so no text decoding may touch it. */
  const binary = (length: number) => Buffer.from(Array.from({ length }, (_, i) => (i * 7) % 256));
  /** Valid UTF-8 with two- and three-byte characters, cut to whole characters near `length` bytes. */
  const utf8 = (length: number) =>
    Buffer.from('aø✓'.repeat(Math.ceil(length / 6))).subarray(0, length - (length % 6));

  // Up to 2048 bytes a hit is handed to Node as a string (Koa: only valid UTF-8), above as a Buffer.
  describe.each([
    { name: 'binary, 2048 bytes', bytes: binary(2048) },
    { name: 'binary, 2049 bytes', bytes: binary(2049) },
    { name: 'UTF-8, 2046 bytes', bytes: utf8(2048) },
    { name: 'UTF-8, 4092 bytes', bytes: utf8(4096) },
    { name: 'one byte', bytes: Buffer.from([0xff]) },
  ])('a hit on a $name body', ({ bytes }) => {
    it('sends the stored bytes exactly, with their Content-Length', async () => {
      const app = await startRoute('/bytes', {
        express: (_req: Any, res: Any) => res.type('application/octet-stream').send(bytes),
        koa: (ctx: Any) => {
          ctx.type = 'application/octet-stream';
          ctx.body = bytes;
        },
      });
      await fetchBytes(`${app.url}/bytes`);
      const hit = await fetchBytes(`${app.url}/bytes`);
      expect(hit.headers['cache-status']).toBe('portcullis; hit; ttl=60');
      expect(hit.headers['content-length']).toBe(String(bytes.length));
      expect(hit.bytes.equals(bytes)).toBe(true);
    });
  });

  it('replays Content-Encoding and compressed bytes as they were', async () => {
    const gzipHeaders = { 'content-type': 'text/plain', 'content-encoding': 'gzip' };
    const app = await startRoute('/gz', {
      express: (_req: Any, res: Any) => res.set(gzipHeaders).end(GZIPPED),
      koa: (ctx: Any) => {
        ctx.set(gzipHeaders);
        ctx.body = GZIPPED;
      },
    });
    await app.request('/gz');
    const hit = await fetchBytes(`${app.url}/gz`);
    expect(hit.headers['content-encoding']).toBe('gzip');
    expect(hit.bytes.equals(GZIPPED)).toBe(true);
  });

  it('does not store a response whose stream failed midway, and the next request runs again', async () => {
    let calls = 0;
    const respond = () => slowStream(['partial ', 'body'], ++calls === 1);
    const app = await startRoute(
      '/s',
      {
        express: (_req: Any, res: Any) => {
          res.setHeader('content-type', 'text/plain');
          const body = respond();
          body.on('error', () => res.destroy());
          body.pipe(res);
        },
        koa: (ctx: Any) => {
          ctx.type = 'text/plain';
          const body = respond();
          // Koa 2 leaves a response whose body stream failed open; apps end it themselves.
          body.on('error', () => ctx.res.destroy());
          ctx.body = body;
        },
      },
      /^backend died mid-stream$/,
    );
    await expect(app.request('/s')).rejects.toThrow();
    const second = await app.request('/s');
    expect(calls).toBe(2);
    expect(second.body).toBe('partial body');
    expect(second.headers['cache-status']).toBe('portcullis; fwd=miss; stored');
    expect((await app.request('/s')).headers['cache-status']).toMatch(/^portcullis; hit/);
  });

  it('caches what proxy() relays, and serves it stale when the upstream is gone', async () => {
    const clock = manualClock();
    // A low port that refuses connections: the proxy answers 502. (A freed ephemeral port
    // could be taken by another test file's server meanwhile and leave the request hanging.)
    const deadUrl = `${(await deadPort()).url}/`;
    let target = upstreamUrl;
    const app = await fw.start({
      use: [cache({ ttl: 10, staleIfError: 60, clock }), proxy(() => target)],
    });
    const miss = await app.request('/p');
    const hit = await app.request('/p');
    expect([miss.body, miss.headers['cache-status']]).toEqual([
      '{"proxied":true}',
      'portcullis; fwd=miss; stored',
    ]);
    expect([hit.body, hit.headers.etag, hit.headers['x-from']]).toEqual([
      '{"proxied":true}',
      '"up-1"',
      'upstream',
    ]);
    clock.advance(10_000);
    target = deadUrl;
    const stale = await app.request('/p');
    expect([stale.status, stale.body, stale.headers['cache-status']]).toEqual([
      200,
      '{"proxied":true}',
      'portcullis; hit; detail=stale',
    ]);
    clock.advance(60_000);
    expect((await app.request('/p')).status).toBe(502);
  });
});
