/**
 * Request smuggling: every forwarded request is framed exactly once, whatever its method, and
 * ambiguous framing is refused with 400 before anything reaches the upstream. Tested over raw
 * sockets against an upstream that records each request its parser sees, keep-alive on both
 * sides, with Node's default parser and with `insecureHTTPParser` (so that the refusal is the
 * proxy's own, not Node's).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import {
  chunked,
  RawConnection,
  type RecordingUpstream,
  startRecordingUpstream,
} from '../../../test/support/raw-http.js';
import { proxy } from './index.js';

let up: RecordingUpstream;
beforeAll(async () => {
  up = await startRecordingUpstream();
});
afterAll(() => up.close());

/** A body that is itself a request: forwarded unframed, the upstream parses it as a second one. */
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: upstream\r\n\r\n';
const METHODS = ['GET', 'HEAD', 'DELETE', 'OPTIONS', 'POST', 'PUT', 'PATCH'];
const FRAMINGS = ['no-body', 'content-length', 'chunked'] as const;

function requestBytes(method: string, path: string, framing: (typeof FRAMINGS)[number]): string {
  const head = `${method} ${path} HTTP/1.1\r\nHost: gateway\r\n`;
  if (framing === 'no-body') return `${head}\r\n`;
  if (framing === 'content-length')
    return `${head}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`;
  return `${head}Transfer-Encoding: chunked\r\n\r\n${chunked(SMUGGLED)}`;
}

/** What the upstream parsed since `from`. */
const recordedSince = (from: number) => up.requests.slice(from);

/**
 * Framings Node's default parser refuses itself, or lets through, and that the proxy must refuse
 * either way: `[name, header lines, body]`.
 */
const AMBIGUOUS: ReadonlyArray<readonly [string, string, string]> = [
  [
    'Content-Length with Transfer-Encoding',
    'Content-Length: 5\r\nTransfer-Encoding: chunked',
    chunked('hello'),
  ],
  ['Content-Length: 5, 5', 'Content-Length: 5, 5', 'hello'],
  ['two Content-Length fields', 'Content-Length: 5\r\nContent-Length: 5', 'hello'],
  ['Transfer-Encoding: chunked, chunked', 'Transfer-Encoding: chunked, chunked', chunked('hello')],
  [
    'two Transfer-Encoding fields',
    'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked',
    chunked('hello'),
  ],
  ['Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: gzip, chunked', chunked('hello')],
  [
    'Transfer-Encoding: chunked, identity',
    'Transfer-Encoding: chunked, identity',
    chunked('hello'),
  ],
  ['Transfer-Encoding: identity', 'Transfer-Encoding: identity', 'hello'],
  ['Content-Length: +5', 'Content-Length: +5', 'hello'],
];

describeEachFramework('proxy() request framing', (fw) => {
  describe.each([
    ['Node’s default parser', false],
    ['insecureHTTPParser', true],
  ])('with %s', (_parser, insecureHTTPParser) => {
    // Node's parser may reject the body after the headers were handed to the app; Koa reports
    // that on its `error` event (on-finished sees the socket error). Not the proxy's doing.
    const start = () =>
      fw.start({
        use: [proxy(up.url)],
        serverOptions: { insecureHTTPParser },
        expectsErrors: /^Parse Error/,
      });

    it.each(METHODS)(
      '%s: a body is framed exactly once whatever the method (no smuggled request), keep-alive on both sides',
      async (method) => {
        const app = await start();
        const conn = await RawConnection.open(app.url);
        const from = up.requests.length;
        for (const framing of FRAMINGS) {
          conn.write(requestBytes(method, `/${method}/${framing}`, framing));
          const first = await conn.response(method);
          // The agent frees the upstream socket just after the relayed response ends.
          await new Promise((resolve) => setImmediate(resolve));
          conn.write(requestBytes('GET', `/after/${method}/${framing}`, 'no-body'));
          const second = await conn.response('GET');
          await new Promise((resolve) => setImmediate(resolve));
          expect([framing, first?.status, second?.status]).toEqual([framing, 200, 200]);
          expect(second?.body).toBe(`GET /after/${method}/${framing} `);
        }
        conn.destroy();
        const seen = recordedSince(from);
        expect(seen.map((r) => [r.method, r.url, r.body])).toEqual(
          FRAMINGS.flatMap((framing) => [
            [method, `/${method}/${framing}`, framing === 'no-body' ? '' : SMUGGLED],
            ['GET', `/after/${method}/${framing}`, ''],
          ]),
        );
        // The upstream connection was kept alive and reused for every request (Node's client
        // does not reuse one after a HEAD response, which carries no Content-Length).
        if (method !== 'HEAD') expect(new Set(seen.map((r) => r.connection)).size).toBe(1);
        for (const r of seen) {
          // Exactly one framing header on each forwarded request with a body.
          const framed = [r.headers['content-length'], r.headers['transfer-encoding']].filter(
            (v) => v !== undefined,
          );
          expect([r.url, framed.length]).toEqual([r.url, r.body === '' ? framed.length : 1]);
        }
      },
    );

    it.each(AMBIGUOUS)(
      'refuses %s with 400, forwards nothing and closes the connection',
      async (name, fields, body) => {
        const app = await start();
        const conn = await RawConnection.open(app.url);
        const from = up.requests.length;
        conn.write(`POST /ambiguous HTTP/1.1\r\nHost: gateway\r\n${fields}\r\n\r\n${body}`);
        conn.write(requestBytes('GET', '/after-ambiguous', 'no-body'));
        const res = await conn.response('POST');
        expect([name, res?.status]).toEqual([name, 400]);
        expect(await conn.waitClosed()).toBe(true);
        expect(recordedSince(from)).toEqual([]);
      },
    );

    it('refuses Transfer-Encoding on an HTTP/1.0 request (RFC 9112 §6.1) with 400', async () => {
      const app = await start();
      const conn = await RawConnection.open(app.url);
      const from = up.requests.length;
      conn.write(
        `POST /old HTTP/1.0\r\nHost: gateway\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(SMUGGLED)}`,
      );
      expect((await conn.response('POST'))?.status).toBe(400);
      expect(recordedSince(from)).toEqual([]);
    });

    it('keeps Content-Length when Connection names it (no unframed body upstream)', async () => {
      const app = await start();
      const conn = await RawConnection.open(app.url);
      const from = up.requests.length;
      conn.write(
        `GET /listed HTTP/1.1\r\nHost: gateway\r\nConnection: keep-alive, Content-Length, Transfer-Encoding\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
      );
      expect((await conn.response('GET'))?.status).toBe(200);
      conn.destroy();
      expect(recordedSince(from).map((r) => [r.url, r.body])).toEqual([['/listed', SMUGGLED]]);
    });

    it('accepts the chunked coding in any case (RFC 9112 §7: case-insensitive)', async () => {
      const app = await start();
      const conn = await RawConnection.open(app.url);
      const from = up.requests.length;
      conn.write(
        `PUT /case HTTP/1.1\r\nHost: gateway\r\nTransfer-Encoding: Chunked\r\n\r\n${chunked('hello')}`,
      );
      expect((await conn.response('PUT'))?.status).toBe(200);
      conn.destroy();
      expect(recordedSince(from).map((r) => [r.url, r.body])).toEqual([['/case', 'hello']]);
    });
  });

  it('obs-fold and bare LF: refused by Node, or unfolded by the insecure parser and framed once', async () => {
    for (const insecureHTTPParser of [false, true]) {
      const app = await fw.start({ use: [proxy(up.url)], serverOptions: { insecureHTTPParser } });
      for (const raw of [
        `POST /fold HTTP/1.1\r\nHost: gateway\r\nTransfer-Encoding:\r\n chunked\r\n\r\n${chunked(SMUGGLED)}`,
        `POST /lf HTTP/1.1\nHost: gateway\nTransfer-Encoding: chunked\n\n${chunked(SMUGGLED)}`,
      ]) {
        const conn = await RawConnection.open(app.url);
        const from = up.requests.length;
        conn.write(raw);
        const res = await conn.response('POST');
        conn.destroy();
        const seen = recordedSince(from).map((r) => [r.url, r.body]);
        if (insecureHTTPParser) {
          expect(res?.status).toBe(200);
          expect(seen).toEqual([[raw.slice(5, raw.indexOf(' HTTP')), SMUGGLED]]);
        } else {
          expect([res?.status, seen]).toEqual([400, []]);
        }
      }
    }
  });
});
