/**
 * `lambda` as the pipeline's integration: the handler answers after every check, in each of the
 * key's forms, and never together with `proxy`.
 */

import { expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { type LambdaEventV1, type LambdaEventV2, lambda } from '../lambda/index.js';
import { proxy } from '../proxy/index.js';
import { pipeline } from './index.js';

const ORIGIN = 'https://app.example.com';

/** A payload 1.0 handler that counts its calls and echoes the path it was given. */
function counting() {
  const handler = async (event: LambdaEventV1) => {
    handler.calls += 1;
    return { statusCode: 200, body: `${event.path} ${handler.calls}` };
  };
  handler.calls = 0;
  return handler;
}

describeEachFramework('pipeline({ lambda })', (fw) => {
  it('runs the handler after the checks, its answer with the CORS headers', async () => {
    const handler = counting();
    const app = await fw.start({
      use: [
        pipeline({
          cors: { origin: [ORIGIN] },
          throttle: { rate: 1, burst: 1, clock: manualClock() },
          lambda: handler,
        }),
      ],
    });
    const first = await app.request('/pets/1', { headers: { origin: ORIGIN } });
    expect([first.status, first.body]).toEqual([200, '/pets/1 1']);
    expect(first.headers['access-control-allow-origin']).toBe(ORIGIN);
    // The stage throttle refuses the second before the integration runs.
    const refused = await app.request('/pets/1', { headers: { origin: ORIGIN } });
    expect(refused.status).toBe(429);
    expect(refused.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(handler.calls).toBe(1);
  });

  it('takes { handler, ...options } and [handler, options]', async () => {
    const v2 = async (event: LambdaEventV2) => ({ statusCode: 201, body: event.rawPath });
    for (const value of [
      { handler: v2, payloadFormatVersion: '2.0' as const },
      [v2, { payloadFormatVersion: '2.0' as const }] as const,
    ]) {
      const app = await fw.start({ use: [pipeline({ cors: true, lambda: value })] });
      const res = await app.request('/orders/7');
      expect([res.status, res.body]).toEqual([201, '/orders/7']);
    }
  });

  it('takes the lambda middleware already built, and answers from the cache on a hit', async () => {
    const handler = counting();
    const built = lambda(handler);
    const app = await fw.start({ use: [pipeline({ cache: 60, lambda: built })] });
    await app.request('/pets/2');
    const hit = await app.request('/pets/2');
    expect([hit.status, hit.body]).toEqual([200, '/pets/2 1']);
    expect(hit.headers['cache-status']).toBe('portcullis; hit; ttl=60');
    expect(handler.calls).toBe(1);
  });
});

it('refuses proxy and lambda together at start-up, naming the option', () => {
  expect(() => pipeline({ proxy: 'http://127.0.0.1:9', lambda: counting() })).toThrow(
    /option "pipeline\.lambda" cannot be given with "pipeline\.proxy"/,
  );
});

it('refuses a built middleware of another kind under lambda, and a handler that is not one', () => {
  expect(() => pipeline({ lambda: proxy('http://127.0.0.1:9') })).toThrow(
    /option "lambda" must be gateway\.lambda\(\)'s options or middleware/,
  );
  expect(() => pipeline({ lambda: { handler: 'nope' } as never })).toThrow(
    /portcullis\.pipeline\.lambda: the handler must be a function/,
  );
});

it('refuses at start-up a built middleware given as the function, and extra array elements', () => {
  // A built middleware belongs under the key itself: as the function it would be called with an
  // event it cannot read, on every request.
  for (const value of [{ handler: lambda(counting()) }, [lambda(counting())]])
    expect(() => pipeline({ lambda: value as never })).toThrow(
      /option "pipeline\.lambda\.handler" must be a function, not a built middleware/,
    );
  expect(() => pipeline({ authorizer: { fn: proxy('http://127.0.0.1:9') } as never })).toThrow(
    /option "pipeline\.authorizer\.fn" must be a function, not a built middleware/,
  );
  expect(() => pipeline({ lambda: [counting(), {}, { timeout: 1 }] as never })).toThrow(
    /option "pipeline\.lambda" must be \[handler, options\], got an array of 3/,
  );
});
