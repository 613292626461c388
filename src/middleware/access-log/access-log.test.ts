import { PassThrough } from 'node:stream';
import KoaRouter from '@koa/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachFramework, type TestApp } from '../../../test/support/frameworks.js';
import { hmacToken } from '../../../test/support/jwt.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { RawConnection } from '../../../test/support/raw-http.js';
import { deadPort, startEchoUpstream, type Upstream } from '../../../test/support/upstream.js';
import { cache } from '../cache/index.js';
import { jwt } from '../jwt/index.js';
import { proxy } from '../proxy/index.js';
import { throttle } from '../throttle/index.js';
import { usagePlans } from '../usage-plans/index.js';
import { recordJson } from './format.js';
import {
  type AccessLogOptions,
  type AccessLogRecord,
  accessLog,
  TEMPLATE_VARIABLES,
} from './index.js';

const KEY = 'secret-api-key-0123456789abcdef';
const BEARER = 'Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig';
const COOKIE = 'session=cookie-secret-value-42';
const PLANS = { once: { quota: { limit: 1, period: 'day' as const } } };
const KEYS = [{ id: 'client-a', key: KEY, plan: 'once' }];
const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const HEX32 = /^[0-9a-f]{32}$/;

/** An access log writing into memory: the whole output, as a user's terminal would show it. */
function capturedLog(options: AccessLogOptions = {}) {
  let output = '';
  const middleware = accessLog({
    destination: {
      write(chunk: string) {
        output += chunk;
      },
    },
    ...options,
  });
  return {
    middleware,
    get output() {
      middleware.flush();
      return output;
    },
    /** The records so far, once `count` of them were written (they come when responses close). */
    async records(count: number): Promise<AccessLogRecord[]> {
      const until = performance.now() + 2000;
      for (;;) {
        middleware.flush();
        const lines = output.split('\n').filter((line) => line !== '');
        if (lines.length >= count || performance.now() > until)
          return lines.map((line) => JSON.parse(line));
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

/** What every record of a plain local request says besides its own fields. */
function plain(overrides: Partial<AccessLogRecord>): Partial<AccessLogRecord> {
  return {
    ip: '127.0.0.1',
    protocol: 'HTTP/1.1',
    integrationLatency: null,
    integrationStatus: null,
    cacheStatus: null,
    apiKeyId: null,
    principalId: null,
    error: null,
    aborted: false,
    ...overrides,
  };
}

let upstream: Upstream;
let dead: string;
beforeAll(async () => {
  upstream = await startEchoUpstream();
  dead = (await deadPort()).url;
});
afterAll(() => upstream.close());

describeEachFramework('accessLog()', (fw) => {
  const express = fw.kind === 'express';

  it('logs a local 200 field by field, with the query redacted and no secret anywhere', async () => {
    const clock = manualClock(Date.UTC(2026, 11, 6, 23, 59, 1, 250));
    const log = capturedLog({ clock });
    const app = await fw.start({
      use: [log.middleware],
      routes: [{ method: 'GET', path: '/hello', reply: { body: 'hello' } }],
    });
    const res = await app.request('/hello?token=abc123secret&X=1&Password=hunter2', {
      headers: { 'user-agent': 'curl/8.5 "quoted"', authorization: BEARER, cookie: COOKIE },
    });
    expect(res.status).toBe(200);
    const [record] = await log.records(1);
    expect(record).toEqual({
      ...plain({}),
      requestId: res.headers['x-request-id'],
      userAgent: 'curl/8.5 "quoted"',
      requestTime: '06/Dec/2026:23:59:01 +0000',
      requestTimeEpoch: Date.UTC(2026, 11, 6, 23, 59, 1, 250),
      httpMethod: 'GET',
      path: '/hello',
      query: 'token=[REDACTED]&X=1&Password=[REDACTED]',
      resourcePath: express ? '/hello' : null,
      status: 200,
      responseLength: 5,
      responseLatency: expect.any(Number),
      traceId: expect.stringMatching(HEX32),
    });
    expect(record!.responseLatency).toBeGreaterThanOrEqual(0);
    for (const secret of ['abc123secret', 'hunter2', 'eyJhbGci', 'cookie-secret'])
      expect(log.output).not.toContain(secret);
  });

  it('logs the route template of a parameterised route (Express route, @koa/router)', async () => {
    const log = capturedLog();
    let app: TestApp;
    if (express) {
      app = await fw.start({
        use: [log.middleware],
        routes: [{ method: 'GET', path: '/pets/:id', reply: { body: 'pet' } }],
      });
    } else {
      const router = new KoaRouter();
      router.get('/pets/:id', (ctx) => {
        ctx.body = 'pet';
      });
      app = await fw.start({ use: [log.middleware, { koa: router.routes() }] });
    }
    expect((await app.request('/pets/42')).status).toBe(200);
    const [record] = await log.records(1);
    expect(record).toMatchObject({ path: '/pets/42', resourcePath: '/pets/:id', status: 200 });
  });

  it('logs a cache miss, then a hit the handler never sees', async () => {
    const log = capturedLog();
    const app = await fw.start({
      use: [log.middleware, cache(60)],
      routes: [{ method: 'GET', path: '/c', reply: { body: 'cached' } }],
    });
    await app.request('/c');
    await log.records(1);
    const hit = await app.request('/c');
    expect(hit.headers['cache-status']).toMatch(/hit/);
    const [miss, served] = await log.records(2);
    expect(miss).toMatchObject(plain({ status: 200, cacheStatus: 'miss', responseLength: 6 }));
    expect(served).toMatchObject(plain({ status: 200, cacheStatus: 'hit', responseLength: 6 }));
  });

  it('logs a 403 for a missing API key with its response type', async () => {
    const log = capturedLog();
    const app = await fw.start({
      use: [log.middleware, usagePlans({ plans: PLANS, keys: KEYS })],
      routes: [{ method: 'GET', path: '/k' }],
    });
    const res = await app.request('/k');
    expect(res.status).toBe(403);
    const [record] = await log.records(1);
    expect(record).toMatchObject(
      plain({
        status: 403,
        responseLength: Buffer.byteLength(res.body),
        error: { responseType: 'INVALID_API_KEY', message: 'Forbidden' },
      }),
    );
  });

  it('logs a 429 throttle and a 429 quota, with the key id and never the key', async () => {
    const clock = manualClock();
    const log = capturedLog();
    const app = await fw.start({
      use: [
        log.middleware,
        throttle({ rate: 1, burst: 1, key: 'global', clock }),
        usagePlans({ plans: PLANS, keys: KEYS, clock }),
      ],
      routes: [{ method: 'GET', path: '/q' }],
    });
    const headers = { 'x-api-key': KEY };
    expect((await app.request('/q', { headers })).status).toBe(200);
    expect((await app.request('/q', { headers })).status).toBe(429);
    clock.advance(1000);
    const quota = await app.request('/q', { headers });
    expect(quota.status).toBe(429);
    const [ok, throttled, limited] = await log.records(3);
    expect(ok).toMatchObject(plain({ status: 200, apiKeyId: 'client-a' }));
    expect(throttled).toMatchObject(
      plain({ status: 429, error: { responseType: 'THROTTLED', message: 'Too Many Requests' } }),
    );
    expect(limited).toMatchObject(
      // usagePlans names the verified key before its quota refuses, so the record carries its id.
      plain({
        status: 429,
        apiKeyId: 'client-a',
        error: { responseType: 'QUOTA_EXCEEDED', message: 'Limit Exceeded' },
      }),
    );
    expect(log.output).not.toContain(KEY);
  });

  it('logs a proxied 200 with its integration latency and status, and forwards the trace', async () => {
    const log = capturedLog();
    const app = await fw.start({ use: [log.middleware, proxy(upstream.url)] });
    const res = await app.request('/status/201', {
      headers: {
        traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
        tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
        'x-api-key': KEY,
        authorization: BEARER,
      },
    });
    expect(res.status).toBe(201);
    const echoed = res.json as { headers: Record<string, string> };
    expect(echoed.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(echoed.headers.traceparent).not.toContain('00f067aa0ba902b7');
    expect(echoed.headers.tracestate).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    const [record] = await log.records(1);
    expect(record).toMatchObject(
      plain({
        status: 201,
        integrationStatus: 201,
        integrationLatency: expect.any(Number),
        traceId: TRACE_ID,
        resourcePath: null,
      }),
    );
    // A streamed (chunked) answer: the bytes after the head, chunk framing included.
    expect(record!.responseLength).toBeGreaterThanOrEqual(Buffer.byteLength(res.body));
    expect(record!.responseLength).toBeLessThanOrEqual(Buffer.byteLength(res.body) + 32);
    expect(log.output).not.toContain(KEY);
    expect(log.output).not.toContain('eyJhbGci');
  });

  it('logs a 502 from a dead upstream and a 504 from a stalled one', async () => {
    const log = capturedLog();
    const app = await fw.start({
      use: [
        log.middleware,
        proxy({ target: dead, prefix: '/dead' }),
        proxy({ target: upstream.url, prefix: '/slow', timeout: 100 }),
      ],
    });
    expect((await app.request('/dead/x')).status).toBe(502);
    expect((await app.request('/slow/hang')).status).toBe(504);
    const [failed, timedOut] = await log.records(2);
    expect(failed).toMatchObject(
      plain({
        status: 502,
        integrationLatency: expect.any(Number),
        error: { responseType: 'INTEGRATION_FAILURE', message: 'Bad Gateway' },
      }),
    );
    expect(timedOut).toMatchObject(
      plain({
        status: 504,
        integrationStatus: null,
        integrationLatency: expect.any(Number),
        error: { responseType: 'INTEGRATION_TIMEOUT', message: 'Endpoint request timed out' },
      }),
    );
    expect(timedOut!.integrationLatency).toBeGreaterThanOrEqual(90);
  });

  it('logs a client that hangs up mid-response once, as aborted with the bytes sent', async () => {
    const log = capturedLog();
    let streaming: PassThrough | undefined;
    const first = Buffer.alloc(1000, 'a');
    const app = await fw.start({
      use: [log.middleware],
      // Koa 3 reports the body stream's premature close when the client goes.
      expectsErrors: /Premature close/,
      routes: [
        {
          method: 'GET',
          path: '/stream',
          // biome-ignore lint/suspicious/noExplicitAny: framework-specific handlers
          express: (_req: any, res: any) => {
            res.setHeader('content-length', 100_000);
            res.write(first);
          },
          // biome-ignore lint/suspicious/noExplicitAny: framework-specific handlers
          koa: (ctx: any) => {
            streaming = new PassThrough();
            ctx.length = 100_000;
            ctx.body = streaming;
            streaming.write(first);
          },
        },
      ],
    });
    const conn = await RawConnection.open(app.url);
    conn.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    await conn.response('HEAD');
    conn.destroy();
    const [record] = await log.records(1);
    streaming?.destroy();
    expect(record).toMatchObject(
      plain({ status: 200, aborted: true, responseLength: 1000, path: '/stream' }),
    );
    // Still one record a moment later.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await log.records(0)).toHaveLength(1);
  });

  it('counts each of two pipelined responses on their own connection bytes', async () => {
    const log = capturedLog();
    const chunk = 'x'.repeat(300);
    const app = await fw.start({
      use: [log.middleware],
      routes: [
        {
          method: 'GET',
          path: '/chunked',
          // biome-ignore lint/suspicious/noExplicitAny: framework-specific handlers
          express: (_req: any, res: any) => {
            res.write(chunk);
            setImmediate(() => res.end(chunk));
          },
          // biome-ignore lint/suspicious/noExplicitAny: framework-specific handlers
          koa: (ctx: any) => {
            const body = new PassThrough();
            ctx.body = body;
            body.write(chunk);
            setImmediate(() => body.end(chunk));
          },
        },
      ],
    });
    const conn = await RawConnection.open(app.url);
    conn.write('GET /chunked HTTP/1.1\r\nHost: x\r\n\r\nGET /chunked HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await conn.response())?.body).toBe(chunk + chunk);
    expect((await conn.response())?.body).toBe(chunk + chunk);
    conn.destroy();
    const records = await log.records(2);
    // Two chunks of 300 bytes, with their chunked framing ("12c\r\n...\r\n" each, "0\r\n\r\n").
    expect(records.map((r) => r.responseLength)).toEqual([600 + 2 * 7 + 5, 600 + 2 * 7 + 5]);
  });

  it('never writes a key, token, cookie or redacted query value, in any field of any format', async () => {
    const everything = TEMPLATE_VARIABLES.map((name) => `$context.${name}`).join(' ');
    const logs = [
      capturedLog(),
      capturedLog({ format: 'clf' }),
      capturedLog({ format: everything }),
    ];
    const secretsIn = [
      'secret-api-key',
      'eyJhbGci',
      'c2VjcmV0',
      'cookie-secret',
      'pa55w0rd',
      'tok3n',
    ];
    for (const log of logs) {
      const app = await fw.start({
        use: [log.middleware, usagePlans({ plans: PLANS, keys: KEYS }), proxy(upstream.url)],
      });
      const headers = { 'x-api-key': KEY, authorization: BEARER, cookie: COOKIE };
      await app.request('/echo?password=pa55w0rd&access_token=tok3n', { headers });
      await app.request('/echo?password=pa55w0rd', { headers }); // quota used up: 429
      await app.request(`/echo?api_key=${KEY}`, { headers: { authorization: BEARER } }); // 403
      await waitForOutput(log, 3);
      expect(log.output.split('\n')).toHaveLength(4);
      for (const secret of secretsIn) expect(log.output).not.toContain(secret);
    }
  });

  it("logs a HEAD with no body bytes, and a handler's error as the status the framework sent", async () => {
    const log = capturedLog();
    const app = await fw.start({
      use: [log.middleware],
      expressErrorHandler: true,
      routes: [
        { method: 'HEAD', path: '/h', reply: { body: 'twelve bytes' } },
        { method: 'GET', path: '/boom', reply: { throwStatus: 503 } },
      ],
    });
    const head = await app.request('/h', { method: 'HEAD' });
    expect(head.headers['content-length']).toBe('12');
    await log.records(1);
    expect((await app.request('/boom')).status).toBe(503);
    const [headRecord, failed] = await log.records(2);
    expect(headRecord).toMatchObject(plain({ httpMethod: 'HEAD', status: 200, responseLength: 0 }));
    expect(failed).toMatchObject(plain({ status: 503, error: null }));
    expect(failed!.responseLength).toBeGreaterThan(0);
  });

  it('writes one record when mounted twice', async () => {
    const log = capturedLog();
    const app = await fw.start({
      use: [log.middleware, log.middleware],
      routes: [{ method: 'GET', path: '/twice' }],
    });
    await app.request('/twice');
    await app.request('/twice');
    await log.records(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await log.records(0)).toHaveLength(2);
  });

  /** An app with `/t` (200 `ok`) and `/health`, logged by `log`. */
  const startLogged = (log: ReturnType<typeof capturedLog>) =>
    fw.start({
      use: [log.middleware],
      routes: [
        { method: 'GET', path: '/t' },
        { method: 'GET', path: '/health' },
      ],
    });

  it("writes API Gateway's CLF line", async () => {
    const log = capturedLog({ format: 'clf', clock: manualClock(Date.UTC(2026, 0, 5, 8, 0, 0)) });
    const app = await startLogged(log);
    const res = await app.request('/t');
    await waitForOutput(log, 1);
    // resourcePath: the test app's Koa routes are not @koa/router's, so none is known ('-').
    expect(log.output).toBe(
      `127.0.0.1 - - [05/Jan/2026:08:00:00 +0000] "GET ${express ? '/t' : '-'} HTTP/1.1" 200 2 ${res.headers['x-request-id']}\n`,
    );
  });

  it('writes a template line, skipping what skip(req, res) says', async () => {
    const log = capturedLog({
      format:
        '$context.httpMethod $context.path?$context.query $context.status $context.error.responseType',
      skip: (req: { path: string }, res) => req.path === '/health' && res.statusCode === 200,
    });
    const app = await startLogged(log);
    await app.request('/health');
    await app.request('/t?a=1&key=k3y');
    await waitForOutput(log, 1);
    expect(log.output).toBe('GET /t?a=1&key=[REDACTED] 200 -\n');
  });

  it('logs nothing for a throwing format, and everything for a throwing skip, warning once each', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const throwing = capturedLog({
        format: () => {
          throw new Error('format broke');
        },
      });
      const wrongType = capturedLog({ format: () => 42 as never });
      const promised = capturedLog({ format: async () => 'late' });
      const skipThrows = capturedLog({
        skip: () => {
          throw new Error('skip broke');
        },
      });
      for (const log of [throwing, wrongType, promised, skipThrows]) {
        const app = await startLogged(log);
        expect((await app.request('/t')).status).toBe(200);
        expect((await app.request('/t')).status).toBe(200);
      }
      expect(await skipThrows.records(2)).toHaveLength(2);
      expect(throwing.output).toBe('');
      expect(wrongType.output).toBe('');
      expect(promised.output).toBe('');
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.includes('format broke'))).toHaveLength(1);
      expect(warnings.filter((w) => w.includes('returned number'))).toHaveLength(1);
      expect(warnings.filter((w) => w.includes('returned a promise'))).toHaveLength(1);
      expect(warnings.filter((w) => w.includes('skip broke'))).toHaveLength(1);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('hands objects to a logger, and survives a logger that throws', async () => {
    const seen: unknown[] = [];
    const app = await fw.start({
      use: [
        accessLog({
          logger: {
            info(record: unknown) {
              seen.push(record);
              throw new Error('logger down');
            },
          },
        }),
      ],
      routes: [{ method: 'GET', path: '/t' }],
    });
    expect((await app.request('/t')).status).toBe(200);
    expect((await app.request('/t')).status).toBe(200);
    for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setImmediate(r));
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ httpMethod: 'GET', path: '/t', status: 200 });
  });
});

/** Waits until `count` lines were written (records come when responses close). */
async function waitForOutput(log: { output: string }, count: number): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (log.output.split('\n').length > count) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const EVERY_VARIABLE = TEMPLATE_VARIABLES.map((name) => `$context.${name}`).join(' ');
const FORMATS = ['json', 'clf', EVERY_VARIABLE] as const;

describeEachFramework('accessLog() against hostile requests', (fw) => {
  describe('redactQuery', () => {
    it('redacts a listed name however the query spells it', async () => {
      const log = capturedLog();
      const app = await fw.start({
        use: [log.middleware],
        routes: [{ method: 'GET', path: '/q', reply: { body: 'ok' } }],
      });
      const query = [
        'token[]=s3cret-brackets',
        'token%5B%5D=s3cret-encoded-brackets',
        'password[old]=s3cret-nested',
        'TOKEN=s3cret-upper',
        '%74oken=s3cret-escaped',
        'a=1;token=s3cret-semicolon',
        'token=s3cret-first&token=s3cret-repeated',
        'page=2',
      ].join('&');
      expect((await app.request(`/q?${query}`)).status).toBe(200);
      const [record] = await log.records(1);
      expect(log.output).not.toContain('s3cret');
      expect(record?.query).toBe(
        'token[]=[REDACTED]&token%5B%5D=[REDACTED]&password[old]=[REDACTED]&TOKEN=[REDACTED]' +
          '&%74oken=[REDACTED]&a=1;token=[REDACTED]&token=[REDACTED]&token=[REDACTED]&page=2',
      );
    });

    it('logs the path and query the router reads: a fragment or an authority is neither', async () => {
      const log = capturedLog({ redactQuery: ['token'] });
      const app = await fw.start({
        use: [log.middleware],
        routes: [{ method: 'GET', path: '/q', reply: { body: 'ok' } }],
      });
      // Raw: clients drop a fragment. Read as a query, `a=1#token=…` was one parameter `a`.
      const conn = await RawConnection.open(app.url);
      // The absolute form's authority is neither either: the router reads `http://h/q` as `/q`.
      for (const target of ['/q?a=1#token=s3cret', '/q#?token=s3cret', 'http://s3cret.example/q']) {
        conn.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
        expect((await conn.response())?.status).toBe(200);
      }
      conn.destroy();
      const records = await log.records(3);
      expect(records.map((r) => [r?.path, r?.query])).toEqual([
        ['/q', 'a=1'],
        ['/q', null],
        ['/q', null],
      ]);
      expect(log.output).not.toContain('s3cret');
    });
  });

  describe('a principal id with line and paragraph separators (a JWT sub)', () => {
    const sub = 'mallory\u2028{"forged":1}\u2029\u0085\u001c\u007f"\\';
    for (const format of FORMATS) {
      const name = format.startsWith('$') ? 'every template variable' : format;
      it(`is written on one line that no splitter breaks (${name})`, async () => {
        const log = capturedLog({ format });
        const app = await fw.start({
          use: [log.middleware, jwt({ secret: SECRET, algorithms: ['HS256'] })],
          routes: [{ method: 'GET', path: '/me', reply: { body: 'ok' } }],
        });
        const token = hmacToken({ alg: 'HS256' }, { sub }, SECRET);
        const res = await app.request('/me', { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
        await waitForOutput(log, 1);
        const lines = log.output.split('\n');
        expect(lines).toHaveLength(2);
        const line = lines[0] as string;
        // What Python's str.splitlines(), and so many log shippers, take for line ends.
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
        expect(line).not.toMatch(/[\n\r\v\f\u001c-\u001e\u0085\u2028\u2029]/);
        if (format === 'json') expect(JSON.parse(line).principalId).toBe(sub);
        else expect(line).toContain('mallory\\u2028{\\"forged\\":1}\\u2029\\u0085\\u001c\\u007f');
      });
    }
  });
});

describe('the JSON line', () => {
  it('is exactly JSON.stringify(record), escapes included', () => {
    const record: AccessLogRecord = {
      requestId: 'id-1',
      ip: '::1',
      userAgent: 'agent "quoted" \\ back\u0001slash\n',
      requestTime: '05/Jan/2026:08:00:00 +0000',
      requestTimeEpoch: 1767600000000,
      httpMethod: 'GET',
      path: '/a"b',
      query: null,
      resourcePath: '/pets/:id',
      protocol: 'HTTP/1.1',
      status: 502,
      responseLength: 0,
      responseLatency: 12,
      integrationLatency: 3,
      integrationStatus: null,
      cacheStatus: 'miss',
      apiKeyId: null,
      principalId: 'user "1"',
      error: { responseType: 'INTEGRATION_FAILURE', message: 'Bad "Gateway"' },
      traceId: 'a'.repeat(32),
      aborted: false,
    };
    expect(recordJson(record)).toBe(JSON.stringify(record));
    expect(recordJson({ ...record, error: null, query: 'a=1' })).toBe(
      JSON.stringify({ ...record, error: null, query: 'a=1' }),
    );
  });
});

describe('accessLog() options', () => {
  it('refuses bad options at start-up, naming them', () => {
    expect(() => accessLog({ format: '$context.status $context.nope' })).toThrow(
      /unknown variable \$context\.nope/,
    );
    expect(() => accessLog({ format: 'JSON' })).toThrow(TypeError);
    expect(() => accessLog({ logger: {} as never })).toThrow(/option "logger"/);
    expect(() => accessLog({ destination: 'stdout' as never })).toThrow(/option "destination"/);
    expect(() => accessLog({ redactQuery: 'token' as never })).toThrow(/option "redactQuery"/);
    expect(() => accessLog({ skip: true as never })).toThrow(/option "skip"/);
    expect(() => accessLog({ formt: 'json' } as never)).toThrow(/unknown option "formt"/);
    expect(() => accessLog({ logger: console, destination: 1 })).toThrow(/together/);
  });
});
