import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import compression from 'compression';
import koaCompress from 'koa-compress';
import { describe, expect, it } from 'vitest';
import { describeEachFramework, type TestApp } from '../../../test/support/frameworks.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { cache } from './index.js';

/** Well above the compressors' 1 KiB threshold. */
const BODY = `${'The weather in Oslo is cold. '.repeat(200)}end`;

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as a client decodes it (per `Content-Encoding`). */
  decoded: string;
}

/** GETs `path` with exactly `acceptEncoding` (or none) and decodes the body as a client would. */
function get(app: TestApp, path: string, acceptEncoding?: string): Promise<RawResponse> {
  const headers = acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding };
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, app.url), { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        try {
          const raw = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            decoded: decode(raw, res.headers['content-encoding']).toString('utf8'),
          });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function decode(raw: Buffer, encoding: string | undefined): Buffer {
  switch (encoding) {
    case undefined:
    case 'identity':
      return raw;
    case 'gzip':
      return gunzipSync(raw);
    case 'br':
      return brotliDecompressSync(raw);
    case 'deflate':
      return inflateSync(raw);
    default:
      throw new Error(`unexpected Content-Encoding ${encoding}`);
  }
}

describeEachFramework('cache() with a compression middleware', (fw) => {
  const compressor = () => ({ express: compression(), koa: koaCompress() });

  for (const order of ['compression before cache', 'compression after cache'] as const) {
    describe(`${order} (stored bodies did not match their Content-Encoding)`, () => {
      async function start() {
        let calls = 0;
        const mw = cache({ clock: manualClock() });
        const app = await fw.start({
          use: order === 'compression before cache' ? [compressor(), mw] : [mw, compressor()],
          routes: [
            {
              method: 'GET',
              path: '/r',
              reply: () => {
                calls += 1;
                return { headers: { 'content-type': 'text/plain; charset=utf-8' }, body: BODY };
              },
            },
          ],
        });
        return { app, calls: () => calls };
      }

      it('answers every client a body it can decode, hits included', async () => {
        const { app, calls } = await start();
        const miss = await get(app, '/r', 'gzip');
        const hit = await get(app, '/r', 'gzip');
        expect(miss.headers['content-encoding']).toBe('gzip');
        expect(hit.headers['content-encoding']).toBe('gzip');
        expect(hit.headers['cache-status']).toBe('portcullis; hit; ttl=300');
        expect(hit.decoded).toBe(miss.decoded);
        expect(hit.decoded).toBe(BODY);
        for (const encoding of ['br', 'gzip, deflate, br', 'deflate', 'gzip']) {
          const res = await get(app, '/r', encoding);
          expect([res.status, res.decoded]).toEqual([200, BODY]);
        }
        expect(calls()).toBeLessThanOrEqual(5);
      });

      it('sends identity to a client that sends no Accept-Encoding, after and before a gzip hit', async () => {
        const { app } = await start();
        await get(app, '/r', 'gzip');
        await get(app, '/r', 'gzip');
        for (let i = 0; i < 2; i++) {
          const plain = await get(app, '/r');
          expect(plain.headers['content-encoding']).toBeUndefined();
          expect(plain.decoded).toBe(BODY);
        }
        const gzip = await get(app, '/r', 'gzip');
        expect([gzip.headers['content-encoding'], gzip.decoded]).toEqual(['gzip', BODY]);
      });

      it('keeps Vary: Accept-Encoding on every answer', async () => {
        const { app } = await start();
        for (const encoding of ['gzip', 'gzip', undefined, undefined]) {
          const res = await get(app, '/r', encoding);
          expect(res.headers.vary).toMatch(/accept-encoding/i);
        }
      });
    });
  }

  if (fw.kind === 'express') {
    it('does not store what compression() before it encoded after an explicit writeHead', async () => {
      let calls = 0;
      const app = await fw.start({
        use: [compressor(), cache({ clock: manualClock() })],
        routes: [
          {
            method: 'GET',
            path: '/r',
            express: (_req: unknown, res: import('node:http').ServerResponse) => {
              calls += 1;
              // Headers out before any body: the cache cannot tell who encodes the bytes.
              res.writeHead(200, { 'content-type': 'text/plain' });
              res.end(BODY);
            },
          },
        ],
      });
      for (let i = 0; i < 2; i++) {
        const res = await get(app, '/r', 'gzip');
        expect([res.decoded, res.headers['cache-status']]).toEqual([BODY, 'portcullis; fwd=miss']);
      }
      // Not encoded at all (no Accept-Encoding): stored, and still decodable by everyone.
      for (const encoding of [undefined, undefined, 'gzip']) {
        const res = await get(app, '/r', encoding);
        expect(res.decoded).toBe(BODY);
      }
      expect(calls).toBe(4);
    });
  }

  it('serves a stored response with Vary only to requests whose varied headers match', async () => {
    let calls = 0;
    const app = await fw.start({
      use: [cache({ clock: manualClock() })],
      routes: [
        {
          method: 'GET',
          path: '/v',
          reply: () => ({ headers: { vary: 'Accept-Encoding' }, body: `variant ${++calls}` }),
        },
      ],
    });
    const first = await get(app, '/v', 'gzip');
    const same = await get(app, '/v', 'gzip');
    const other = await get(app, '/v', 'br');
    const none = await get(app, '/v');
    expect([first.decoded, same.decoded, other.decoded, none.decoded]).toEqual([
      'variant 1',
      'variant 1',
      'variant 2',
      'variant 3',
    ]);
  });
});
