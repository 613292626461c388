import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { createMiddleware } from '../../adapters/universal.js';
import { DEFAULT_ERROR_RESPONSES, sendPrepared } from '../../core/errors.js';
import { cors } from './index.js';

const APP = 'https://app.example.com';
const OTHER = 'https://evil.example.net';

/** A stand-in for throttle/usage plans: rejects through the core error responses. */
const rejectWith429 = createMiddleware('reject', (ex) => {
  sendPrepared(ex, DEFAULT_ERROR_RESPONSES.tooManyRequests, [['retry-after', '1']]);
});

function preflight(origin: string, extra: Record<string, string> = {}) {
  return {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'PUT', ...extra },
  };
}

describe('cors() options', () => {
  it('refuses origin "*" together with credentials, naming the option', () => {
    expect(() => cors({ origin: '*', credentials: true })).toThrow(/option "origin"/);
    expect(() => cors({ credentials: true })).toThrow(TypeError);
  });

  it('refuses a negative or fractional maxAge with a RangeError', () => {
    expect(() => cors({ maxAge: -1 })).toThrow(RangeError);
    expect(() => cors({ maxAge: 1.5 })).toThrow(/option "maxAge"/);
  });

  it('refuses unknown options, malformed header lists and empty origin lists', () => {
    expect(() => cors({ orign: APP } as never)).toThrow(/unknown option "orign"/);
    expect(() => cors({ allowedHeaders: ['x-ok', 'bad header'] })).toThrow(
      /option "allowedHeaders"/,
    );
    expect(() => cors({ methods: 42 as never })).toThrow(/option "methods"/);
    expect(() => cors({ origin: [] })).toThrow(/option "origin"/);
    expect(() => cors({ origin: ['*'] })).toThrow(/option "origin"/);
    expect(() => cors({ credentials: 'yes' as never })).toThrow(/option "credentials"/);
  });

  it('refuses configured origins a browser cannot send (non-ASCII, spaces), naming the option', () => {
    expect(() => cors({ origin: 'https://\u00e9xample.com' })).toThrow(/option "origin"/);
    expect(() => cors({ origin: [APP, 'https://a b.example.com'] })).toThrow(/option "origin"/);
    expect(() => cors({ origin: `https://${'a'.repeat(2100)}.com` })).toThrow(/option "origin"/);
    expect(() => cors({ origin: 'https://xn--xample-9ua.com' })).not.toThrow();
  });

  it('does not mutate the options it is given', () => {
    const options = Object.freeze({
      origin: Object.freeze([APP]),
      methods: Object.freeze(['GET']),
    });
    expect(() => cors(options)).not.toThrow();
  });
});

describeEachFramework('cors()', (fw) => {
  describe('with the defaults', () => {
    it('answers a cross-origin GET with Access-Control-Allow-Origin: * and no Vary: Origin', async () => {
      const app = await fw.start({ use: [cors()], routes: [{ method: 'GET', path: '/r' }] });
      const res = await app.request('/r', { headers: { origin: APP } });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers.vary ?? '').not.toMatch(/origin/i);
    });

    it('answers a preflight itself with 204 and the allow headers, without an OPTIONS route', async () => {
      let handlerCalls = 0;
      const app = await fw.start({
        use: [cors()],
        routes: [{ method: 'PUT', path: '/r', reply: () => ({ body: String(++handlerCalls) }) }],
      });
      const res = await app.request(
        '/r',
        preflight(APP, { 'access-control-request-headers': 'content-type, x-custom' }),
      );
      expect(res.status).toBe(204);
      expect(res.body).toBe('');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-methods']).toBe(
        'GET, HEAD, PUT, PATCH, POST, DELETE',
      );
      expect(res.headers['access-control-allow-headers']).toBe('content-type, x-custom');
      expect(res.headers['access-control-max-age']).toBe('600');
      expect(res.headers.vary).toBe(
        'Access-Control-Request-Method, Access-Control-Request-Headers',
      );
      expect(handlerCalls).toBe(0);
    });

    it('sends no Content-Length on the 204 (RFC 9110), and Content-Length: 0 with optionsSuccessStatus 200', async () => {
      const routes = [{ method: 'PUT', path: '/r' }];
      const noContent = await fw.start({ use: [cors()], routes });
      const res = await noContent.request('/r', preflight(APP));
      expect(res.status).toBe(204);
      expect(res.headers['content-length']).toBeUndefined();
      const legacy = await fw.start({ use: [cors({ optionsSuccessStatus: 200 })], routes });
      const ok = await legacy.request('/r', preflight(APP));
      expect(ok.status).toBe(200);
      expect(ok.headers['content-length']).toBe('0');
      expect(ok.body).toBe('');
      expect(ok.headers['access-control-allow-origin']).toBe('*');
    });

    it('answers preflights even when a later OPTIONS route exists', async () => {
      let optionsCalls = 0;
      const app = await fw.start({
        use: [cors()],
        routes: [
          {
            method: 'OPTIONS',
            path: '/r',
            reply: () => ({ status: 200, body: String(++optionsCalls) }),
          },
        ],
      });
      const res = await app.request('/r', preflight(APP));
      expect(res.status).toBe(204);
      expect(optionsCalls).toBe(0);
    });

    it('lets a plain OPTIONS without Access-Control-Request-Method pass through', async () => {
      const app = await fw.start({
        use: [cors()],
        routes: [
          { method: 'OPTIONS', path: '/r', reply: { status: 200, body: 'options handler' } },
        ],
      });
      const res = await app.request('/r', { method: 'OPTIONS', headers: { origin: APP } });
      expect(res.status).toBe(200);
      expect(res.body).toBe('options handler');
    });

    it('omits Access-Control-Allow-Headers when the requested list is malformed', async () => {
      const app = await fw.start({ use: [cors()] });
      const res = await app.request(
        '/r',
        preflight(APP, { 'access-control-request-headers': 'x-ok, "quoted"' }),
      );
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-headers']).toBeUndefined();
    });
  });

  describe('with a list of origins', () => {
    const options = { origin: [APP, /^https:\/\/[a-z0-9]+\.preview\.example\.com$/] };

    it('echoes an allowed origin and adds Vary: Origin', async () => {
      const app = await fw.start({ use: [cors(options)], routes: [{ method: 'GET', path: '/r' }] });
      const res = await app.request('/r', { headers: { origin: APP } });
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers.vary).toBe('Origin');
    });

    it('matches RegExp entries and configured origins case-insensitively', async () => {
      const app = await fw.start({
        use: [
          cors({
            origin: ['HTTPS://App.Example.com/', /^https:\/\/[a-z0-9]+\.preview\.example\.com$/],
          }),
        ],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const byPattern = await app.request('/r', {
        headers: { origin: 'https://pr42.preview.example.com' },
      });
      expect(byPattern.headers['access-control-allow-origin']).toBe(
        'https://pr42.preview.example.com',
      );
      const byString = await app.request('/r', { headers: { origin: APP } });
      expect(byString.headers['access-control-allow-origin']).toBe(APP);
    });

    it('finds an origin in a long list too, in any letter case', async () => {
      const many = ['a', 'b', 'c', 'd', 'e'].map((sub) => `https://${sub}.example.com`);
      for (const origin of [many, many.slice(0, 2)]) {
        const app = await fw.start({
          use: [cors({ origin })],
          routes: [{ method: 'GET', path: '/r' }],
        });
        const last = origin[origin.length - 1]!;
        for (const sent of [last, last.toUpperCase(), 'https://z.example.com']) {
          const res = await app.request('/r', { headers: { origin: sent } });
          expect(res.headers['access-control-allow-origin']).toBe(
            sent.endsWith('z.example.com') ? undefined : sent,
          );
        }
      }
    });

    it('gives a disallowed origin no Access-Control-Allow-* header at all', async () => {
      const app = await fw.start({ use: [cors(options)], routes: [{ method: 'GET', path: '/r' }] });
      const res = await app.request('/r', { headers: { origin: OTHER } });
      expect(res.status).toBe(200);
      expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      expect(res.headers.vary).toBe('Origin');
    });

    it('still answers a disallowed preflight with 204 but without allow headers', async () => {
      const app = await fw.start({ use: [cors(options)] });
      const res = await app.request('/r', preflight(OTHER));
      expect(res.status).toBe(204);
      expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      expect(res.headers.vary).toBe(
        'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      );
    });

    it('adds Vary: Origin to requests without an Origin header too', async () => {
      const app = await fw.start({ use: [cors(options)], routes: [{ method: 'GET', path: '/r' }] });
      const res = await app.request('/r');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers.vary).toBe('Origin');
    });

    it('merges Vary with the one a handler sets after the middleware ran', async () => {
      const app = await fw.start({
        use: [cors(options)],
        routes: [
          { method: 'GET', path: '/r', reply: { headers: { vary: 'Accept-Encoding' }, body: 'x' } },
        ],
      });
      const res = await app.request('/r', { headers: { origin: APP } });
      expect(res.headers.vary).toBe('Accept-Encoding, Origin');
    });

    it('does not duplicate Origin when the handler already varies on it, and leaves Vary: * alone', async () => {
      const app = await fw.start({
        use: [cors(options)],
        routes: [
          { method: 'GET', path: '/dup', reply: { headers: { vary: 'origin, Accept' } } },
          { method: 'GET', path: '/star', reply: { headers: { vary: '*' } } },
        ],
      });
      expect((await app.request('/dup', { headers: { origin: APP } })).headers.vary).toBe(
        'origin, Accept',
      );
      expect((await app.request('/star', { headers: { origin: APP } })).headers.vary).toBe('*');
    });
  });

  describe('with an origin function', () => {
    it('asks the function (sync or async) and passes the framework request', async () => {
      const seen: string[] = [];
      const app = await fw.start({
        use: [
          cors({
            origin: async (origin, req) => {
              // Express passes req, Koa passes ctx: both have `.method`.
              seen.push(`${req.method} ${origin}`);
              return origin.endsWith('.example.com');
            },
          }),
        ],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const allowed = await app.request('/r', { headers: { origin: APP } });
      const denied = await app.request('/r', { headers: { origin: OTHER } });
      expect(allowed.headers['access-control-allow-origin']).toBe(APP);
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
      expect(seen).toEqual([`GET ${APP}`, `GET ${OTHER}`]);
    });
  });

  describe('with an origin function that answers something else than a boolean', () => {
    it.each([
      ['the origin string', (origin: string) => origin, APP],
      ['a promise of the origin string', async (origin: string) => origin, APP],
      ['another origin string', () => 'https://other.example.com', 'https://other.example.com'],
      ['undefined', () => undefined, undefined],
      ['a promise of undefined', async () => undefined, undefined],
      ['null', () => null, undefined],
      ['an empty string', () => '', undefined],
      ['a number', () => 1, undefined],
      ['an object', () => ({ allowed: true }), undefined],
      ['a string that is no origin', () => 'two words', undefined],
      ['"*" (never with credentials)', () => '*', undefined],
    ])('takes %s as its answer', async (_label, answer, allowOrigin) => {
      const app = await fw.start({
        use: [cors({ origin: answer as never, credentials: true })],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const res = await app.request('/r', { headers: { origin: APP } });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(allowOrigin);
      expect(res.headers['access-control-allow-credentials']).toBe(
        allowOrigin === undefined ? undefined : 'true',
      );
      const pre = await app.request('/r', preflight(APP));
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe(allowOrigin);
    });

    it.each([
      [
        'throws',
        () => {
          throw new Error('origin lookup failed');
        },
      ],
      ['rejects', () => Promise.reject(new Error('origin lookup failed'))],
    ])('answers 500 when it %s, and the app keeps serving', async (_label, answer) => {
      let calls = 0;
      const app = await fw.start({
        use: [
          cors({
            origin: (origin) => (++calls === 1 ? answer() : origin === APP),
          }),
        ],
        routes: [{ method: 'GET', path: '/r' }],
        expectsErrors: /origin lookup failed/,
      });
      const failed = await app.request('/r', { headers: { origin: APP } });
      expect(failed.status).toBe(500);
      expect(failed.headers['access-control-allow-origin']).toBeUndefined();
      const next = await app.request('/r', { headers: { origin: APP } });
      expect([next.status, next.headers['access-control-allow-origin']]).toEqual([200, APP]);
    });
  });

  describe('with credentials', () => {
    const options = {
      origin: [APP],
      credentials: true,
      exposedHeaders: ['x-request-id', 'RateLimit'],
    };

    it('echoes the origin (never *), allows credentials and exposes headers', async () => {
      const app = await fw.start({ use: [cors(options)], routes: [{ method: 'GET', path: '/r' }] });
      const res = await app.request('/r', { headers: { origin: APP, cookie: 'sid=1' } });
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-expose-headers']).toBe('x-request-id, RateLimit');
    });

    it('answers the preflight with credentials and the configured headers', async () => {
      const app = await fw.start({
        use: [
          cors({
            ...options,
            allowedHeaders: ['Content-Type', 'X-Api-Key'],
            maxAge: 0,
            methods: 'GET,PUT',
          }),
        ],
      });
      const res = await app.request(
        '/r',
        preflight(APP, { 'access-control-request-headers': 'x-other' }),
      );
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-allow-headers']).toBe('Content-Type, X-Api-Key');
      expect(res.headers['access-control-allow-methods']).toBe('GET, PUT');
      expect(res.headers['access-control-max-age']).toBeUndefined();
      expect(res.headers.vary).toBe('Origin, Access-Control-Request-Method');
    });
  });

  describe('private network access', () => {
    const pna = { 'access-control-request-private-network': 'true' };

    it('allows it only when privateNetwork is on', async () => {
      const on = await fw.start({ use: [cors({ privateNetwork: true })] });
      const off = await fw.start({ use: [cors()] });
      expect(
        (await on.request('/r', preflight(APP, pna))).headers[
          'access-control-allow-private-network'
        ],
      ).toBe('true');
      expect(
        (await off.request('/r', preflight(APP, pna))).headers[
          'access-control-allow-private-network'
        ],
      ).toBeUndefined();
    });
  });

  describe('preflightContinue', () => {
    it('passes the preflight on with the CORS headers already set', async () => {
      const app = await fw.start({
        use: [cors({ preflightContinue: true, origin: [APP] })],
        routes: [
          {
            method: 'OPTIONS',
            path: '/r',
            reply: () => ({ status: 200, body: 'custom preflight' }),
          },
        ],
      });
      const res = await app.request('/r', preflight(APP));
      expect(res.status).toBe(200);
      expect(res.body).toBe('custom preflight');
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-allow-methods']).toBe(
        'GET, HEAD, PUT, PATCH, POST, DELETE',
      );
    });

    /** An OPTIONS handler that replaces one preflight header, drops another and sets its own Vary. */
    const meddlingOptionsRoute = {
      method: 'OPTIONS',
      path: '/r',
      express: (_req: unknown, res: ServerResponse & { send(body: string): void }) => {
        res.setHeader('access-control-allow-origin', '*');
        res.removeHeader('access-control-allow-methods');
        res.removeHeader('access-control-max-age');
        res.setHeader('vary', 'Accept');
        res.statusCode = 200;
        res.send('handled');
      },
      // biome-ignore lint/suspicious/noExplicitAny: Koa's ctx
      koa: (ctx: any) => {
        ctx.set('access-control-allow-origin', '*');
        ctx.remove('access-control-allow-methods');
        ctx.remove('access-control-max-age');
        ctx.set('vary', 'Accept');
        ctx.status = 200;
        ctx.body = 'handled';
      },
    };

    it('keeps the gateway’s preflight headers when the OPTIONS handler replaces or drops them', async () => {
      const app = await fw.start({
        use: [cors({ preflightContinue: true, origin: [APP] })],
        routes: [meddlingOptionsRoute],
      });
      const res = await app.request('/r', preflight(APP));
      expect([res.status, res.body]).toEqual([200, 'handled']);
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-allow-methods']).toBe(
        'GET, HEAD, PUT, PATCH, POST, DELETE',
      );
      expect(res.headers['access-control-max-age']).toBe('600');
      expect(res.headers.vary).toBe(
        'Accept, Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      );
    });

    it('with overrideUpstream false, keeps what the handler set and restores what it dropped', async () => {
      const app = await fw.start({
        use: [cors({ preflightContinue: true, origin: [APP], overrideUpstream: false })],
        routes: [meddlingOptionsRoute],
      });
      const res = await app.request('/r', preflight(APP));
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-methods']).toBe(
        'GET, HEAD, PUT, PATCH, POST, DELETE',
      );
      expect(res.headers['access-control-max-age']).toBe('600');
    });

    it('gives a disallowed origin no allow header, whatever the OPTIONS handler set', async () => {
      const app = await fw.start({
        use: [cors({ preflightContinue: true, origin: [APP] })],
        routes: [meddlingOptionsRoute],
      });
      const res = await app.request('/r', preflight(OTHER));
      expect(res.status).toBe(200);
      expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    });
  });

  describe('upstream CORS headers', () => {
    const upstreamCors = {
      'access-control-allow-origin': '*',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'DELETE',
    };
    const route = { method: 'GET', path: '/r', reply: { headers: upstreamCors, body: 'x' } };

    it('replaces the handler’s CORS headers with the gateway’s by default', async () => {
      const app = await fw.start({ use: [cors({ origin: [APP] })], routes: [route] });
      const allowed = await app.request('/r', { headers: { origin: APP } });
      expect(allowed.headers['access-control-allow-origin']).toBe(APP);
      expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
      expect(allowed.headers['access-control-allow-methods']).toBeUndefined();
      const denied = await app.request('/r', { headers: { origin: OTHER } });
      expect(Object.keys(denied.headers).filter((h) => h.startsWith('access-control-'))).toEqual(
        [],
      );
    });

    it('keeps the handler’s headers when overrideUpstream is false', async () => {
      const app = await fw.start({
        use: [cors({ origin: [APP], overrideUpstream: false })],
        routes: [route],
      });
      const res = await app.request('/r', { headers: { origin: APP } });
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-methods']).toBe('DELETE');
    });
  });

  describe('error responses', () => {
    it('carries the CORS headers on a gateway 429 sent through the core error responses', async () => {
      const app = await fw.start({
        use: [cors({ origin: [APP], credentials: true }), rejectWith429],
      });
      const res = await app.request('/r', { headers: { origin: APP } });
      expect(res.status).toBe(429);
      expect(res.json).toEqual({ message: 'Too Many Requests' });
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['retry-after']).toBe('1');
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
    });

    it('carries the CORS headers on an error thrown by the handler (framework default handling)', async () => {
      const app = await fw.start({
        use: [cors({ origin: [APP] })],
        routes: [{ method: 'GET', path: '/boom', reply: { throwStatus: 500 } }],
      });
      const res = await app.request('/boom', { headers: { origin: APP } });
      expect(res.status).toBe(500);
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers.vary).toMatch(/Origin/);
      expect(res.headers['x-request-id']).toBeTruthy();
    });

    it('carries the CORS headers on a response from an app error handler', async () => {
      const app = await fw.start({
        use: [cors({ origin: [APP] })],
        routes: [{ method: 'GET', path: '/boom', reply: { throwStatus: 503 } }],
        expressErrorHandler: true,
      });
      const res = await app.request('/boom', { headers: { origin: APP } });
      expect(res.status).toBe(503);
      expect(res.headers['access-control-allow-origin']).toBe(APP);
    });
  });

  describe('hostile Origin values', () => {
    /** Origins no browser sends; Node reads header bytes as latin1, so UTF-8 arrives as mojibake. */
    const hostileOrigins: Array<[string, string]> = [
      ['garbage with spaces', 'not an origin at all'],
      ['a very long origin', `https://${'a'.repeat(8000)}.example.com`],
      ['a latin1 byte (0xE9)', 'https://\u00e9xample.com'],
      ['raw UTF-8 bytes', Buffer.from('https://\u00e9xample.com', 'utf8').toString('latin1')],
    ];

    it.each(hostileOrigins)(
      'never echoes %s, even where a RegExp or a function allows everything',
      async (_label, origin) => {
        const everything = [
          cors({ origin: [APP, /.*/s] }),
          cors({ origin: () => true, credentials: true }),
        ];
        for (const middleware of everything) {
          const app = await fw.start({
            use: [middleware],
            routes: [{ method: 'GET', path: '/r' }],
          });
          const actual = await app.request('/r', { headers: { origin } });
          expect(actual.status).toBe(200);
          expect(actual.headers['access-control-allow-origin']).toBeUndefined();
          const pre = await app.request('/r', preflight(origin));
          expect(pre.status).toBe(204);
          expect(pre.headers['access-control-allow-origin']).toBeUndefined();
          // The same matcher does echo a well-formed origin: the refusal above is the Origin's.
          const fine = await app.request('/r', { headers: { origin: APP } });
          expect(fine.headers['access-control-allow-origin']).toBe(APP);
        }
      },
    );

    it('allows origin "null" from a list only when listed', async () => {
      const app = await fw.start({
        use: [cors({ origin: [APP] })],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const res = await app.request('/r', { headers: { origin: 'null' } });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const listed = await fw.start({
        use: [cors({ origin: [APP, 'null'] })],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const allowed = await listed.request('/r', { headers: { origin: 'null' } });
      expect(allowed.headers['access-control-allow-origin']).toBe('null');
    });

    it('passes odd methods through with the CORS headers and answers their preflight', async () => {
      const app = await fw.start({
        use: [cors({ origin: [APP] })],
        routes: [{ method: 'PURGE', path: '/r', reply: { body: 'purged' } }],
      });
      const res = await app.request('/r', { method: 'PURGE', headers: { origin: APP } });
      expect([res.status, res.body, res.headers['access-control-allow-origin']]).toEqual([
        200,
        'purged',
        APP,
      ]);
      const pre = await app.request(
        '/r',
        preflight(APP, { 'access-control-request-method': 'PURGE' }),
      );
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-methods']).toBe(
        'GET, HEAD, PUT, PATCH, POST, DELETE',
      );
    });

    it('reflects no Access-Control-Request-Headers longer than 4096 characters, however well-formed', async () => {
      const app = await fw.start({ use: [cors({ origin: [APP] })] });
      const names = (count: number) =>
        Array.from({ length: count }, (_, i) => `x-h${String(i).padStart(4, '0')}`).join(', ');
      const short = names(450); // 4,048 characters
      const long = names(460); // 4,138 characters: well under the server's 16 KB header limit
      const reflected = await app.request(
        '/r',
        preflight(APP, { 'access-control-request-headers': short }),
      );
      expect(reflected.headers['access-control-allow-headers']).toBe(short);
      const refused = await app.request(
        '/r',
        preflight(APP, { 'access-control-request-headers': long }),
      );
      expect(refused.status).toBe(204);
      expect(refused.headers['access-control-allow-origin']).toBe(APP);
      expect(refused.headers['access-control-allow-headers']).toBeUndefined();
    });

    it('answers origin "null" with * under the wildcard default (no credentials)', async () => {
      const app = await fw.start({ use: [cors()], routes: [{ method: 'GET', path: '/r' }] });
      const res = await app.request('/r', { headers: { origin: 'null' } });
      expect(res.headers['access-control-allow-origin']).toBe('*');
    });
  });
});
