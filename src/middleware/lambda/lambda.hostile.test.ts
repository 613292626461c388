import { expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { RawConnection } from '../../../test/support/raw-http.js';
import { lambda } from './index.js';
import type { LambdaErrorDetails, LambdaHandler } from './types.js';

const INTERNAL = '{"message":"Internal server error"}';

describeEachFramework('lambda() against hostile handlers', (fw) => {
  /** Two requests on one kept-alive connection: the second shows the first left it usable. */
  async function twice(handler: LambdaHandler<unknown>) {
    const reasons: LambdaErrorDetails['reason'][] = [];
    const app = await fw.start({
      use: [lambda(handler, { timeout: 2000, onError: (_e, d) => reasons.push(d.reason) })],
    });
    const conn = await RawConnection.open(app.url);
    try {
      conn.write('GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n');
      return { responses: [await conn.response(), await conn.response()], reasons };
    } finally {
      conn.destroy();
    }
  }

  it('answers 502 for a header value Node cannot write (not Latin-1, or a control character)', async () => {
    const results = [
      { statusCode: 200, headers: { 'x-a': 'price \u20ac1' }, body: 'x' },
      { statusCode: 200, headers: { 'x-a': 'fine', 'content-type': 'text/plain\u2028' } },
      { statusCode: 200, multiValueHeaders: { 'x-a': ['ok', 'bell\u0007'] } },
      { statusCode: 200, cookies: ['a=\u0100'] },
      { statusCode: 200, headers: { 'x-a': '\u007f' } },
    ];
    for (const result of results) {
      const { responses, reasons } = await twice(async () => result);
      for (const res of responses) {
        expect(res?.status, JSON.stringify(result)).toBe(502);
        expect(res?.body).toBe(INTERNAL);
        expect(res?.headers['x-a']).toBeUndefined();
      }
      expect(reasons).toEqual(['malformed', 'malformed']);
    }
    // Latin-1 and tabs are what Node writes as they are: sent.
    const { responses } = await twice(async () => ({
      statusCode: 200,
      headers: { 'x-a': 'caf\u00e9\tb' },
    }));
    expect(responses[1]?.status).toBe(200);
    expect(responses[1]?.headers['x-a']).toBe('caf\u00e9\tb');
  });

  it('answers 502 for a thenable result whose then throws, as for a handler that throws', async () => {
    const handlers: LambdaHandler<unknown>[] = [
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point
        then() {
          throw new Error('then');
        },
      }),
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point
        get then() {
          throw new Error('getter');
        },
      }),
    ];
    for (const handler of handlers) {
      const { responses, reasons } = await twice(handler);
      for (const res of responses) {
        expect(res?.status).toBe(502);
        expect(res?.body).toBe(INTERNAL);
      }
      expect(reasons).toEqual(['error', 'error']);
    }
  });
});
