import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { expect, it, vi } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { RawConnection } from '../../../test/support/raw-http.js';
import { gate } from '../../../test/support/routes.js';
import { lambda } from './index.js';
import type { LambdaOptions } from './options.js';
import type { LambdaErrorDetails, LambdaHandler } from './types.js';

/** The response as bytes, with every header field as received (repeated ones kept apart). */
function fetchBytes(
  url: string,
  path: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; raw: string[]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, url), { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          raw: res.rawHeaders,
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The values of every field named `name` (case-insensitive), in order. */
function fieldValues(raw: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]!.toLowerCase() === name) values.push(raw[i + 1]!);
  return values;
}

/** `onError` that records what it is told. */
function errorLog() {
  const calls: Array<{ error: Error; details: LambdaErrorDetails }> = [];
  const onError = (error: Error, details: LambdaErrorDetails) => {
    calls.push({ error, details });
  };
  return { calls, onError };
}

const INTERNAL = { message: 'Internal server error' };

describeEachFramework('lambda() results', (fw) => {
  const start = (result: unknown, options: LambdaOptions = {}) =>
    fw.start({ use: [lambda(async () => result, options)] });

  it('merges headers and multiValueHeaders as API Gateway does: a name in both keeps its list', async () => {
    const app = await start({
      statusCode: 200,
      headers: { 'Content-Type': 'text/plain', 'X-Both': 'single', 'X-Only-Single': 1 },
      multiValueHeaders: {
        'x-both': ['m1', 'm2'],
        'Set-Cookie': ['a=1; Path=/', 'b=2; HttpOnly'],
      },
      body: 'ok',
    });
    const res = await fetchBytes(app.url, '/x');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(fieldValues(res.raw, 'x-both')).toEqual(['m1', 'm2']);
    expect(res.headers['x-only-single']).toBe('1');
    expect(fieldValues(res.raw, 'set-cookie')).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(res.body.toString()).toBe('ok');
  });

  it('decodes a base64 body and sends its bytes', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x80]);
    const app = await start({
      statusCode: 200,
      headers: { 'content-type': 'image/png' },
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    });
    const res = await fetchBytes(app.url, '/x');
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-length']).toBe(String(bytes.length));
    expect(res.body.equals(bytes)).toBe(true);
  });

  it('answers application/json when the result names no type, and an empty body without one', async () => {
    const app = await start({ statusCode: 201 });
    const res = await app.request('/x');
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toBe('');
  });

  it('sends a 204 without a body or Content-Length, whatever the result says', async () => {
    const app = await start({ statusCode: 204, body: 'ignored' });
    const conn = await RawConnection.open(app.url);
    conn.write('GET /x HTTP/1.1\r\nHost: t\r\n\r\n');
    const res = await conn.response();
    expect(res).toMatchObject({ status: 204, body: '' });
    expect(res!.headers['content-length']).toBeUndefined();
    conn.destroy();
  });

  it('takes a status given as text, as API Gateway does', async () => {
    const app = await start({ statusCode: '404', body: 'none' });
    expect(await app.request('/x')).toMatchObject({ status: 404, body: 'none' });
  });

  it('frames the body itself: the result cannot set Transfer-Encoding, Connection or a wrong Content-Length', async () => {
    const app = await start({
      statusCode: 200,
      headers: { 'Transfer-Encoding': 'chunked', Connection: 'close', 'Content-Length': '999' },
      body: 'abc',
    });
    const conn = await RawConnection.open(app.url);
    const request = 'GET /x HTTP/1.1\r\nHost: t\r\n\r\n';
    conn.write(request);
    const first = await conn.response();
    expect(first).toMatchObject({ status: 200, body: 'abc' });
    expect(first!.headers['content-length']).toBe('3');
    expect(first!.headers['transfer-encoding']).toBeUndefined();
    // The connection stays usable: the next request on it is answered too.
    conn.write(request);
    expect(await conn.response()).toMatchObject({ status: 200, body: 'abc' });
    conn.destroy();
  });

  it('keeps the gateway request id over one the result sets', async () => {
    const app = await start({ statusCode: 200, headers: { 'X-Request-Id': 'forged' } });
    const res = await app.request('/x', { headers: { 'x-request-id': 'client-1' } });
    expect(res.headers['x-request-id']).toBe('client-1');
  });
});

describeEachFramework('lambda() payload 2.0 results', (fw) => {
  const start = (result: unknown) =>
    fw.start({
      use: [lambda(async () => result, { payloadFormatVersion: '2.0', onError: () => undefined })],
    });

  it('sends a result without statusCode as a 200 JSON body', async () => {
    const app = await start({ message: 'hi', items: [1, 2] });
    const res = await app.request('/x');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json).toEqual({ message: 'hi', items: [1, 2] });
  });

  it('sends a string result as its JSON (the Lambda payload), an absent one as null', async () => {
    expect((await (await start('Hello from Lambda!')).request('/x')).body).toBe(
      '"Hello from Lambda!"',
    );
    expect((await (await start(undefined)).request('/x')).body).toBe('null');
  });

  it('answers 502 for a result with statusCode and a field API Gateway does not know', async () => {
    const app = await start({ statusCode: 200, body: 'x', multiValueHeaderz: {} });
    expect(await app.request('/x')).toMatchObject({ status: 502, json: INTERNAL });
  });

  it('turns each cookie into a Set-Cookie field, after those of the headers', async () => {
    const app = await start({
      statusCode: 200,
      headers: { 'set-cookie': 'first=0', 'x-list': 'a,b' },
      cookies: ['session=abc; Secure', 'theme=dark'],
      body: 'ok',
    });
    const res = await fetchBytes(app.url, '/x');
    expect(fieldValues(res.raw, 'set-cookie')).toEqual([
      'first=0',
      'session=abc; Secure',
      'theme=dark',
    ]);
    expect(res.headers['x-list']).toBe('a,b');
  });
});

describeEachFramework('lambda() failures', (fw) => {
  const startFailing = (handler: LambdaHandler<unknown>, options: LambdaOptions = {}) => {
    const log = errorLog();
    const started = fw.start({ use: [lambda(handler, { onError: log.onError, ...options })] });
    return started.then((app) => ({ app, log }));
  };

  it('answers 502 Internal server error when the handler throws, and tells onError once', async () => {
    const { app, log } = await startFailing(() => {
      throw new Error('boom');
    });
    const res = await app.request('/x');
    expect(res.status).toBe(502);
    expect(res.json).toEqual(INTERNAL);
    expect(log.calls).toHaveLength(1);
    expect(log.calls[0]!.error.message).toBe('boom');
    expect(log.calls[0]!.details).toEqual({
      requestId: res.headers['x-request-id'],
      functionName: 'handler',
      reason: 'error',
    });
  });

  it('answers 502 when the handler rejects or calls back with an error (a string too)', async () => {
    const rejecting = await startFailing(async () => Promise.reject(new Error('nope')));
    expect((await rejecting.app.request('/x')).status).toBe(502);
    const callingBack = await startFailing(
      (_e: unknown, _c: unknown, callback: (e: unknown) => void) => callback('bad thing'),
    );
    expect((await callingBack.app.request('/x')).json).toEqual(INTERNAL);
    expect(callingBack.log.calls.map((c) => c.error.message)).toEqual(['bad thing']);
  });

  it('answers 502 for results API Gateway calls malformed', async () => {
    const malformed: unknown[] = [
      undefined,
      'just a string',
      { body: 'no status' },
      { statusCode: 200, body: { not: 'a string' } },
      { statusCode: 'abc' },
      { statusCode: 99 },
      { statusCode: 200, statuscode: 200 },
      { statusCode: 200, multiValueHeaders: { 'x-a': 'not a list' } },
      { statusCode: 200, headers: { 'x-a': { nested: true } } },
      { statusCode: 200, headers: { 'bad name': 'x' } },
      { statusCode: 200, body: 'not base64!', isBase64Encoded: true },
    ];
    for (const result of malformed) {
      const { app, log } = await startFailing(async () => result);
      const res = await app.request('/x');
      expect(res.status, JSON.stringify(result)).toBe(502);
      expect(res.json).toEqual(INTERNAL);
      expect(log.calls.map((c) => c.details.reason)).toEqual(['malformed']);
    }
  });

  it('refuses a header value with CR or LF (502) instead of writing it', async () => {
    for (const value of ['a\r\nX-Injected: 1', 'a\nb', 'a\rb']) {
      const { app, log } = await startFailing(async () => ({
        statusCode: 200,
        headers: { 'x-safe': value },
        body: 'x',
      }));
      const res = await app.request('/x');
      expect(res.status).toBe(502);
      expect(res.headers['x-injected']).toBeUndefined();
      expect(res.headers['x-safe']).toBeUndefined();
      expect(log.calls[0]!.error.message).toMatch(/CR, LF/);
    }
    const { app } = await startFailing(async () => ({
      statusCode: 200,
      multiValueHeaders: { 'set-cookie': ['ok=1', 'x=1\r\nX-Injected: 1'] },
    }));
    const res = await app.request('/x');
    expect(res.status).toBe(502);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('answers 504 Endpoint request timed out after timeout, and drops the late result', async () => {
    const release = gate();
    let finished = false;
    const { app, log } = await startFailing(
      async () => {
        await release.opened;
        finished = true;
        return { statusCode: 200, body: 'late' };
      },
      { timeout: 30 },
    );
    const res = await app.request('/x');
    expect(res.status).toBe(504);
    expect(res.json).toEqual({ message: 'Endpoint request timed out' });
    expect(log.calls.map((c) => c.details.reason)).toEqual(['timeout']);
    release.open();
    await release.opened;
    await new Promise((resolve) => setImmediate(resolve));
    expect(finished).toBe(true);
    expect(log.calls).toHaveLength(1);
  });

  it('ignores a second callback and a throw after the callback', async () => {
    const { app, log } = await startFailing(
      (_e: unknown, _c: unknown, callback: (e: unknown, r?: unknown) => void) => {
        callback(null, { statusCode: 200, body: 'first' });
        callback(null, { statusCode: 500, body: 'second' });
        throw new Error('after the answer');
      },
    );
    expect(await app.request('/x')).toMatchObject({ status: 200, body: 'first' });
    expect(log.calls).toHaveLength(0);
  });

  it('answers 413 Request Too Long beyond bodyLimit, without calling the handler', async () => {
    let calls = 0;
    const { app } = await startFailing(
      async () => {
        calls++;
        return { statusCode: 200 };
      },
      { bodyLimit: 10 },
    );
    const res = await app.request('/x', { method: 'POST', body: '01234567890' });
    expect(res.status).toBe(413);
    expect(res.json).toEqual({ message: 'Request Too Long' });
    expect(calls).toBe(0);
    // The unread rest of the body cannot be parsed as a next request: the connection closes.
    const conn = await RawConnection.open(app.url);
    conn.write(
      'POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n'.concat('x'.repeat(100)),
    );
    expect((await conn.response())?.status).toBe(413);
    expect(await conn.waitClosed()).toBe(true);
    const fits = await app.request('/x', { method: 'POST', body: '0123456789' });
    expect(fits.status).toBe(200);
    expect(calls).toBe(1);
  });

  it('neither calls the handler nor reports an error when the client leaves mid-body', async () => {
    let calls = 0;
    let closed = 0;
    const watchClose = {
      // biome-ignore lint/suspicious/noExplicitAny: framework-specific observer
      express: (_req: any, res: any, next: () => void) => {
        res.on('close', () => closed++);
        next();
      },
      // biome-ignore lint/suspicious/noExplicitAny: framework-specific observer
      koa: (ctx: any, next: () => Promise<void>) => {
        ctx.res.on('close', () => closed++);
        return next();
      },
    };
    const log = errorLog();
    const app = await fw.start({
      // Koa reports the socket's own error (Node's "Parse Error" for a body cut short) through
      // its `error` event, whatever the middlewares do: not this piece's error.
      expectsErrors: /^Parse Error/,
      use: [
        watchClose,
        lambda(
          async () => {
            calls++;
            return { statusCode: 200 };
          },
          { onError: log.onError },
        ),
      ],
    });
    const conn = await RawConnection.open(app.url);
    conn.write('POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789');
    conn.destroy();
    await vi.waitFor(() => expect(closed).toBe(1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(0);
    expect(log.calls).toHaveLength(0);
    // The app still answers.
    expect((await app.request('/x')).status).toBe(200);
  });

  it('logs through console.error with the request id by default', async () => {
    const lines: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => {
      lines.push(args);
    };
    try {
      const app = await fw.start({
        use: [
          lambda(async function failing() {
            throw new Error('kaput');
          }),
        ],
      });
      const res = await app.request('/x');
      expect(res.status).toBe(502);
      expect(lines).toHaveLength(1);
      expect(String(lines[0]![0])).toContain(
        `failing failed (error) for request ${res.headers['x-request-id']}`,
      );
    } finally {
      console.error = original;
    }
  });
});
