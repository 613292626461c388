import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import compression from 'compression';
import express, { type RequestHandler } from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from '../../test/support/http.js';
import { expressExchange } from '../adapters/express.js';
import { installWriteHead } from '../adapters/express-prototypes.js';
import { type CaptureOptions, type CaptureResult, captureBody } from './capture.js';

const servers: Array<ReturnType<typeof createServer>> = [];
afterAll(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

/** Serves one handler on a raw Node server and returns what the capture saw for the first request. */
async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: Partial<CaptureOptions> = {},
) {
  let resolveResult: (result: CaptureResult) => void = () => {};
  const captured = new Promise<CaptureResult>((resolve) => {
    resolveResult = resolve;
  });
  const server = createServer((req, res) => {
    const ex = expressExchange(req, res);
    captureBody(ex, { limit: 1024, ...options, onEnd: resolveResult });
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, captured };
}

describe('captureBody()', () => {
  it('tees res.end(string) and res.write(Buffer) + res.end() byte for byte', async () => {
    const { url, captured } = await serve((_req, res) => {
      res.write(Buffer.from([0xe2, 0x82]));
      res.write('\u00ac and more', 'utf8');
      res.end('!', 'utf8');
    });
    const res = await request(url, '/');
    const sent = Buffer.concat([Buffer.from([0xe2, 0x82]), Buffer.from('\u00ac and more!')]);
    expect(res.body).toBe(sent.toString('utf8'));
    expect(await captured).toEqual({ complete: true, body: sent });
  });

  it('tees a piped stream and does not hold back the first chunk', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { url, captured } = await serve((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      const stream = new Readable({ read() {} });
      stream.pipe(res);
      stream.push('first;');
      void gate.then(() => {
        stream.push('second');
        stream.push(null);
      });
    });
    // The client must see "first;" while the response is still open.
    const firstChunk = await new Promise<string>((resolve, reject) => {
      import('node:http').then(({ get }) => {
        get(url, (res) => {
          res.once('data', (chunk: Buffer) => {
            resolve(chunk.toString());
            release();
            res.resume();
          });
        }).on('error', reject);
      });
    });
    expect(firstChunk).toBe('first;');
    const result = await captured;
    expect(result).toEqual({ complete: true, body: Buffer.from('first;second') });
  });

  it('gives up past the limit while the client still gets the whole body', async () => {
    const big = 'x'.repeat(5000);
    const { url, captured } = await serve((_req, res) => {
      res.write(big.slice(0, 1000));
      res.end(big.slice(1000));
    });
    const res = await request(url, '/');
    expect(res.body).toBe(big);
    expect(await captured).toEqual({ complete: false, reason: 'too-large' });
  });

  it('reports an abort when the response is destroyed mid-stream', async () => {
    const { url, captured } = await serve((_req, res) => {
      res.write('partial');
      setTimeout(() => res.destroy(new Error('backend died')), 5);
    });
    await expect(request(url, '/')).rejects.toThrow();
    expect(await captured).toEqual({ complete: false, reason: 'aborted' });
  });

  it('replaces the body when beforeWrite returns one, whether headers go out implicitly or by writeHead', async () => {
    const swap = (res: ServerResponse) => {
      if (res.statusCode < 500) return undefined;
      res.statusCode = 200;
      res.setHeader('content-type', 'text/plain');
      res.setHeader('content-length', 5);
      return Buffer.from('saved');
    };
    const implicit = await serve(
      (_req, res) => {
        res.statusCode = 500;
        res.write('err');
        res.end('or');
      },
      { beforeWrite: swap },
    );
    const a = await request(implicit.url, '/');
    expect([a.status, a.body]).toEqual([200, 'saved']);
    const explicit = await serve(
      (_req, res) => {
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end('<h1>down</h1>');
      },
      { beforeWrite: swap },
    );
    const b = await request(explicit.url, '/');
    expect([b.status, b.body, b.headers['content-type']]).toEqual([200, 'saved', 'text/plain']);
  });

  it('stop() releases the capture and never reports', async () => {
    let reported = false;
    const server = createServer((req, res) => {
      const capture = captureBody(expressExchange(req, res), {
        limit: 100,
        onEnd: () => {
          reported = true;
        },
      });
      res.write('a');
      capture.stop();
      res.end('b');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const res = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, '/');
    expect(res.body).toBe('ab');
    expect(reported).toBe(false);
  });
});

describe('Capture.encodedOutside()', () => {
  /**
   * What `encodedOutside()` says when the headers go out, in an Express app behind `outer`
   * (compression() or none). The hook runs where Express's header hooks run: after the hooks of
   * middlewares that wrapped `res.writeHead` themselves (on-headers).
   */
  async function judge(
    outer: RequestHandler | undefined,
    handler: (res: ServerResponse) => void,
  ): Promise<boolean | undefined | 'not asked'> {
    let said: boolean | undefined | 'not asked' = 'not asked';
    // What creating any portcullis middleware does at start-up (this test builds exchanges itself).
    installWriteHead();
    const app = express();
    if (outer !== undefined) app.use(outer);
    app.use((req, res) => {
      const ex = expressExchange(req, res);
      const capture = captureBody(ex, { limit: 1 << 20, onEnd: () => {} });
      ex.onHeaders(() => {
        said = capture.encodedOutside();
      }, undefined);
      handler(res);
    });
    const server = createServer(app);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await request(url, '/', { headers: { 'accept-encoding': 'gzip' } });
    return said;
  }
  const big = 'x'.repeat(4096);
  const plain = (res: ServerResponse) => {
    res.setHeader('content-type', 'text/plain');
    res.end(big);
  };

  it('is false without a middleware wrapping the response before it', async () => {
    expect(await judge(undefined, plain)).toBe(false);
  });

  it('is true when compression() wrapped the response first and encodes what it is given', async () => {
    expect(await judge(compression(), plain)).toBe(true);
  });

  it('is false when the writer set the Content-Encoding of the bytes it writes', async () => {
    const gzipped = (res: ServerResponse) => {
      res.setHeader('content-type', 'text/plain');
      res.setHeader('content-encoding', 'gzip');
      res.end(gzipSync(big));
    };
    expect(await judge(compression(), gzipped)).toBe(false);
  });

  it('is undefined when headers were written before any body through such a wrapper', async () => {
    const explicit = (res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(big);
    };
    expect(await judge(compression(), explicit)).toBeUndefined();
  });
});
