import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { parseRateLimit, parseRateLimitPolicy } from '../../../test/support/ratelimit.js';
import { createMiddleware } from '../../adapters/universal.js';
import type { RateStore } from '../../stores/types.js';
import { cors } from '../cors/index.js';
import { throttle } from './index.js';

/** Puts `apiKey` on the context as usagePlans() would, from the `x-key-id` header. */
const fakeUsagePlans = createMiddleware('fakeUsagePlans', (ex, next) => {
  const id = ex.header('x-key-id');
  if (id !== undefined) ex.gateway.apiKey = { id, plan: 'test' };
  return next();
});

const failingStore: RateStore = {
  consumeBucket: () => Promise.reject(new Error('store down')),
};

/** Request headers from a client at `address` (the apps trust X-Forwarded-For where asked). */
const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('throttle() options', () => {
  it('requires a positive rate and a whole burst of at least 1, naming the option', () => {
    expect(() => throttle({} as never)).toThrow(/option "rate"/);
    expect(() => throttle({ rate: 0 })).toThrow(RangeError);
    expect(() => throttle({ rate: -1 })).toThrow(/option "rate"/);
    expect(() => throttle({ rate: 'fast' as never })).toThrow(TypeError);
    expect(() => throttle({ rate: 1, burst: 0 })).toThrow(/option "burst"/);
    expect(() => throttle({ rate: 1, burst: 2.5 })).toThrow(/option "burst"/);
  });

  it('refuses bad keys, costs, subnets, names, callbacks, stores and unknown options', () => {
    expect(() => throttle({ rate: 1, key: 'user' as never })).toThrow(/option "key"/);
    expect(() => throttle({ rate: 1, cost: -1 })).toThrow(/option "cost"/);
    expect(() => throttle({ rate: 1, cost: 0.5 })).toThrow(/option "cost"/);
    expect(() => throttle({ rate: 1, burst: 3, cost: 4 })).toThrow(/option "cost"/);
    expect(() => throttle({ rate: 1, ipv6Subnet: 0 })).toThrow(/option "ipv6Subnet"/);
    expect(() => throttle({ rate: 1, ipv6Subnet: 129 })).toThrow(/option "ipv6Subnet"/);
    expect(() => throttle({ rate: 1, ipv6Subnet: true as never })).toThrow(/option "ipv6Subnet"/);
    expect(() => throttle({ rate: 1, name: 'say "hi"' })).toThrow(/option "name"/);
    expect(() => throttle({ rate: 1, skip: true as never })).toThrow(/option "skip"/);
    expect(() => throttle({ rate: 1, onLimit: 'log' as never })).toThrow(/option "onLimit"/);
    expect(() => throttle({ rate: 1, store: {} as never })).toThrow(/option "store"/);
    expect(() => throttle({ rate: 1, headers: 'no' as never })).toThrow(/option "headers"/);
    expect(() => throttle({ rate: 1, onStoreError: 'fail' as never })).toThrow(
      /option "onStoreError"/,
    );
    expect(() => throttle({ rate: 1, response: { status: 99 } })).toThrow(
      /option "response.status"/,
    );
    expect(() => throttle({ rate: 1, brust: 2 } as never)).toThrow(/unknown option "brust"/);
  });

  it('does not mutate the options it is given', () => {
    expect(() =>
      throttle(Object.freeze({ rate: 2, burst: 4, key: 'global' as const })),
    ).not.toThrow();
  });
});

describeEachFramework('throttle()', (fw) => {
  describe('with an empty bucket', () => {
    it('answers 429 Too Many Requests with Retry-After, and the handler never runs', async () => {
      const clock = manualClock();
      let calls = 0;
      const app = await fw.start({
        use: [throttle({ rate: 1, burst: 2, clock })],
        routes: [{ method: 'GET', path: '/r', reply: () => ({ body: String(++calls) }) }],
      });
      expect((await app.request('/r')).status).toBe(200);
      expect((await app.request('/r')).status).toBe(200);
      const refused = await app.request('/r');
      expect(refused.status).toBe(429);
      expect(refused.json).toEqual({ message: 'Too Many Requests' });
      expect(refused.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers['ratelimit-policy']).toBe('"throttle";q=2;w=2');
      expect(refused.headers.ratelimit).toBe('"throttle";r=0;t=2');
      expect(calls).toBe(2);
    });

    it('refills continuously at rate tokens per second, never above burst', async () => {
      const clock = manualClock();
      const app = await fw.start({
        use: [throttle({ rate: 2, burst: 4, clock })],
        routes: [{ method: 'GET', path: '/r' }],
      });
      for (let i = 0; i < 4; i++) expect((await app.request('/r')).status).toBe(200);
      expect((await app.request('/r')).status).toBe(429);
      clock.advance(499);
      expect((await app.request('/r')).status).toBe(429);
      clock.advance(1);
      const refilled = await app.request('/r');
      expect(refilled.status).toBe(200);
      expect(refilled.headers.ratelimit).toBe('"throttle";r=0;t=2');
      clock.advance(60_000);
      const idle = await app.request('/r');
      expect(idle.headers.ratelimit).toBe('"throttle";r=3;t=1');
    });

    it('says in Retry-After when one token is back, in whole seconds of at least 1', async () => {
      const clock = manualClock();
      const app = await fw.start({
        use: [throttle({ rate: 0.25, burst: 1, clock })],
        routes: [{ method: 'GET', path: '/r' }],
      });
      await app.request('/r');
      expect((await app.request('/r')).headers['retry-after']).toBe('4');
      clock.advance(3_500);
      expect((await app.request('/r')).headers['retry-after']).toBe('1');
    });
  });

  describe('headers', () => {
    it('sends RateLimit-Policy and RateLimit on every response of the throttled routes', async () => {
      const clock = manualClock();
      const app = await fw.start({
        use: [throttle({ rate: 5, burst: 10, name: 'per-client', clock })],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const res = await app.request('/r');
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-policy']).toBe('"per-client";q=10;w=2');
      expect(res.headers.ratelimit).toBe('"per-client";r=9;t=1');
      expect(res.headers['retry-after']).toBeUndefined();
    });

    it('sends no RateLimit fields with headers: false (a 429 keeps Retry-After)', async () => {
      const clock = manualClock();
      const app = await fw.start({
        use: [throttle({ rate: 1, burst: 1, headers: false, clock })],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const ok = await app.request('/r');
      expect(ok.headers.ratelimit).toBeUndefined();
      expect(ok.headers['ratelimit-policy']).toBeUndefined();
      const refused = await app.request('/r');
      expect(refused.status).toBe(429);
      expect(refused.headers.ratelimit).toBeUndefined();
      expect(refused.headers['retry-after']).toBe('1');
    });

    it('states rates that do not divide the burst exactly, as draft RateLimit fields (w was ceil(burst/rate))', async () => {
      const cases: Array<[number, number, number]> = [
        // [rate, burst, rate × w / q must equal rate]
        [3, 7, 3],
        [0.4, 1, 0.4],
        [5, 10, 5],
        [1000 / 3, 500, 1000 / 3],
      ];
      for (const [rate, burst] of cases) {
        const app = await fw.start({
          use: [throttle({ rate, burst, name: 'b', clock: manualClock() })],
          routes: [{ method: 'GET', path: '/r' }],
        });
        const res = await app.request('/r');
        const [policy] = parseRateLimitPolicy(res.headers['ratelimit-policy']);
        expect(policy!.name).toBe('b');
        // q / w is the steady rate; w is a whole number of seconds, at least 1 (draft §4.1.3).
        expect(policy!.q / policy!.w).toBeCloseTo(rate, 9);
        const [state] = parseRateLimit(res.headers.ratelimit);
        expect(state).toEqual({ name: 'b', r: burst - 1, t: expect.any(Number) });
      }
    });

    it('puts the decision on the gateway context for handlers', async () => {
      const app = await fw.start({
        use: [throttle({ rate: 10, clock: manualClock() })],
        routes: [
          {
            method: 'GET',
            path: '/r',
            reply: (gateway) => ({ body: (gateway as { throttle: unknown }).throttle as object }),
          },
        ],
      });
      expect((await app.request('/r')).json).toEqual({
        policy: 'throttle',
        limit: 10,
        remaining: 9,
        allowed: true,
      });
    });
  });

  describe('exactness', () => {
    it('admits exactly 10 of 100 concurrent requests with burst 10', async () => {
      let calls = 0;
      const app = await fw.start({
        use: [throttle({ rate: 1, burst: 10, clock: manualClock() })],
        routes: [{ method: 'GET', path: '/r', reply: () => ({ body: String(++calls) }) }],
      });
      const results = await Promise.all(Array.from({ length: 100 }, () => app.request('/r')));
      expect(results.filter((r) => r.status === 200)).toHaveLength(10);
      expect(results.filter((r) => r.status === 429)).toHaveLength(90);
      expect(calls).toBe(10);
    });
  });

  describe('cost', () => {
    it('takes a fixed cost per request', async () => {
      const app = await fw.start({
        use: [throttle({ rate: 1, burst: 10, cost: 4, clock: manualClock() })],
        routes: [{ method: 'GET', path: '/r' }],
      });
      expect((await app.request('/r')).headers.ratelimit).toBe('"throttle";r=6;t=4');
      expect((await app.request('/r')).headers.ratelimit).toBe('"throttle";r=2;t=8');
      const refused = await app.request('/r');
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('2');
    });

    it('takes cost(req) tokens, and fails the request when cost(req) is not a whole number', async () => {
      const app = await fw.start({
        expectsErrors: /cost\(req\) must return a whole number/,
        use: [
          throttle({
            rate: 1,
            burst: 10,
            clock: manualClock(),
            cost: (req: { headers: Record<string, string> }) => Number(req.headers['x-cost'] ?? 1),
          }),
        ],
        routes: [{ method: 'GET', path: '/r' }],
        expressErrorHandler: true,
      });
      expect((await app.request('/r', { headers: { 'x-cost': '5' } })).headers.ratelimit).toBe(
        '"throttle";r=5;t=5',
      );
      expect((await app.request('/r', { headers: { 'x-cost': '0' } })).headers.ratelimit).toBe(
        '"throttle";r=5;t=5',
      );
      expect((await app.request('/r', { headers: { 'x-cost': 'x' } })).status).toBe(500);
    });
  });

  describe('keys', () => {
    it("keeps a bucket per client address by default ('ip', honouring the proxy setting)", async () => {
      const app = await fw.start({
        use: [throttle({ rate: 1, burst: 1, clock: manualClock() })],
        routes: [{ method: 'GET', path: '/r' }],
        trustProxy: true,
      });
      expect((await app.request('/r', from('203.0.113.1'))).status).toBe(200);
      expect((await app.request('/r', from('203.0.113.1'))).status).toBe(429);
      expect((await app.request('/r', from('203.0.113.2'))).status).toBe(200);
    });

    it('treats an IPv4-mapped IPv6 address as the IPv4 address', async () => {
      const app = await fw.start({
        use: [throttle({ rate: 1, burst: 1, clock: manualClock() })],
        routes: [{ method: 'GET', path: '/r' }],
        trustProxy: true,
      });
      expect((await app.request('/r', from('::ffff:198.51.100.9'))).status).toBe(200);
      expect((await app.request('/r', from('198.51.100.9'))).status).toBe(429);
    });

    it('groups IPv6 clients by /56, or by the ipv6Subnet given', async () => {
      const app = await fw.start({
        use: [throttle({ rate: 1, burst: 1, clock: manualClock() })],
        routes: [{ method: 'GET', path: '/r' }],
        trustProxy: true,
      });
      expect((await app.request('/r', from('2001:db8:0:1200::1'))).status).toBe(200);
      expect((await app.request('/r', from('2001:db8:0:12ff::2'))).status).toBe(429);
      expect((await app.request('/r', from('2001:db8:0:1300::1'))).status).toBe(200);
      const perAddress = await fw.start({
        use: [throttle({ rate: 1, burst: 1, ipv6Subnet: false, clock: manualClock() })],
        routes: [{ method: 'GET', path: '/r' }],
        trustProxy: true,
      });
      expect((await perAddress.request('/r', from('2001:db8::1'))).status).toBe(200);
      expect((await perAddress.request('/r', from('2001:db8::2'))).status).toBe(200);
    });

    it("keeps one bucket for every client with key: 'global'", async () => {
      const app = await fw.start({
        use: [throttle({ rate: 1, burst: 1, key: 'global', clock: manualClock() })],
        routes: [{ method: 'GET', path: '/r' }],
        trustProxy: true,
      });
      expect((await app.request('/r', from('203.0.113.1'))).status).toBe(200);
      expect((await app.request('/r', from('203.0.113.2'))).status).toBe(429);
    });

    it("keeps a bucket per API key id with key: 'apiKey'", async () => {
      const app = await fw.start({
        use: [fakeUsagePlans, throttle({ rate: 1, burst: 1, key: 'apiKey', clock: manualClock() })],
        routes: [{ method: 'GET', path: '/r' }],
        expressErrorHandler: true,
      });
      expect((await app.request('/r', { headers: { 'x-key-id': 'a' } })).status).toBe(200);
      expect((await app.request('/r', { headers: { 'x-key-id': 'a' } })).status).toBe(429);
      expect((await app.request('/r', { headers: { 'x-key-id': 'b' } })).status).toBe(200);
    });

    it("fails the request (500), never sharing a bucket, when key: 'apiKey' finds no key", async () => {
      let calls = 0;
      const app = await fw.start({
        expectsErrors: /needs usagePlans\(\) to run before this throttle/,
        use: [throttle({ rate: 1, burst: 100, key: 'apiKey', clock: manualClock() })],
        routes: [{ method: 'GET', path: '/r', reply: () => ({ body: String(++calls) }) }],
        expressErrorHandler: true,
      });
      expect((await app.request('/r')).status).toBe(500);
      expect(calls).toBe(0);
    });

    it('keeps a bucket per key(req), and fails the request when key(req) throws or gives no string', async () => {
      const key = (req: { headers: Record<string, string> }) => {
        const tenant = req.headers['x-tenant'];
        if (tenant === 'boom') throw new Error('no tenant');
        return tenant as string;
      };
      const app = await fw.start({
        expectsErrors: /^no tenant$|key\(req\) must return/,
        use: [throttle({ rate: 1, burst: 1, key, clock: manualClock() })],
        routes: [{ method: 'GET', path: '/r' }],
        expressErrorHandler: true,
      });
      const as = (tenant: string) => ({ headers: { 'x-tenant': tenant } });
      expect((await app.request('/r', as('t1'))).status).toBe(200);
      expect((await app.request('/r', as('t1'))).status).toBe(429);
      expect((await app.request('/r', as('t2'))).status).toBe(200);
      expect((await app.request('/r', as('boom'))).status).toBe(500);
      expect((await app.request('/r')).status).toBe(500);
    });
  });

  describe('stacked throttles', () => {
    it('needs every one to admit; a refusal spends nothing of the throttles after it', async () => {
      const clock = manualClock();
      const app = await fw.start({
        use: [
          throttle({ rate: 1, burst: 2, key: 'global', name: 'global', clock }),
          throttle({ rate: 0.01, burst: 5, name: 'client', clock }),
        ],
        routes: [{ method: 'GET', path: '/r' }],
      });
      expect((await app.request('/r')).status).toBe(200);
      const second = await app.request('/r');
      expect(second.headers['ratelimit-policy']).toBe('"global";q=2;w=2, "client";q=5;w=500');
      expect(second.headers.ratelimit).toBe('"global";r=0;t=2, "client";r=3;t=200');
      const refused = await app.request('/r');
      expect(refused.status).toBe(429);
      expect(refused.headers.ratelimit).toBe('"global";r=0;t=2');
      clock.advance(2_000);
      const after = await app.request('/r');
      expect(after.status).toBe(200);
      // Still 2 left after this one: the refused request took nothing from "client".
      expect(after.headers.ratelimit).toBe('"global";r=1;t=1, "client";r=2;t=298');
    });

    it('lets the tightest decide', async () => {
      const clock = manualClock();
      const app = await fw.start({
        use: [
          throttle({ rate: 10, burst: 10, key: 'global', name: 'loose', clock }),
          throttle({ rate: 1, burst: 1, name: 'tight', clock }),
        ],
        routes: [
          {
            method: 'GET',
            path: '/r',
            reply: (gateway) => ({ body: (gateway as { throttle: unknown }).throttle as object }),
          },
        ],
      });
      const first = await app.request('/r');
      expect(first.json).toMatchObject({ policy: 'tight', remaining: 0 });
      const second = await app.request('/r');
      expect(second.status).toBe(429);
      expect(second.headers.ratelimit).toBe('"loose";r=8;t=1, "tight";r=0;t=1');
    });
  });

  describe('hooks', () => {
    it('does not throttle (nor count) requests that skip(req) excuses', async () => {
      const app = await fw.start({
        use: [
          throttle({
            rate: 1,
            burst: 1,
            clock: manualClock(),
            skip: (req: { headers: Record<string, string> }) => req.headers['x-internal'] === '1',
          }),
        ],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const internal = { headers: { 'x-internal': '1' } };
      for (let i = 0; i < 3; i++) {
        const res = await app.request('/r', internal);
        expect(res.status).toBe(200);
        expect(res.headers.ratelimit).toBeUndefined();
      }
      expect((await app.request('/r')).status).toBe(200);
      expect((await app.request('/r')).status).toBe(429);
    });

    it('accepts an async skip(req)', async () => {
      const app = await fw.start({
        use: [throttle({ rate: 1, burst: 1, clock: manualClock(), skip: async () => true })],
        routes: [{ method: 'GET', path: '/r' }],
      });
      for (let i = 0; i < 3; i++) expect((await app.request('/r')).status).toBe(200);
    });

    it('calls onLimit(req) for each refused request only', async () => {
      const seen: string[] = [];
      const app = await fw.start({
        use: [
          throttle({
            rate: 1,
            burst: 1,
            clock: manualClock(),
            onLimit: (req: { url: string }) => {
              seen.push(req.url);
            },
          }),
        ],
        routes: [{ method: 'GET', path: '/r' }],
      });
      await app.request('/r?n=1');
      await app.request('/r?n=2');
      await app.request('/r?n=3');
      expect(seen).toEqual(['/r?n=2', '/r?n=3']);
    });
  });

  describe('a cost that can never fit', () => {
    it('refuses cost(req) above burst with 413 and no Retry-After, not a permanent 429', async () => {
      const app = await fw.start({
        use: [
          throttle({
            rate: 1,
            burst: 3,
            clock: manualClock(),
            cost: (req: { headers: Record<string, string> }) => Number(req.headers['x-cost'] ?? 1),
          }),
        ],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const refused = await app.request('/r', { headers: { 'x-cost': '4' } });
      expect(refused.status).toBe(413);
      expect(refused.json).toEqual({ message: 'Request Cost Exceeds Burst' });
      expect(refused.headers['retry-after']).toBeUndefined();
      // It took nothing: the whole burst is still there.
      expect((await app.request('/r', { headers: { 'x-cost': '3' } })).status).toBe(200);
    });

    it('replaces that answer through costTooHighResponse', async () => {
      const app = await fw.start({
        use: [
          throttle({
            rate: 1,
            burst: 1,
            clock: manualClock(),
            cost: () => 2,
            costTooHighResponse: { status: 400, message: 'Too expensive' },
          }),
        ],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const res = await app.request('/r');
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ message: 'Too expensive' });
    });
  });

  describe('a throwing onLimit hook', () => {
    for (const [kind, onLimit] of [
      [
        'throws',
        () => {
          throw new Error('metrics down');
        },
      ],
      ['rejects', () => Promise.reject(new Error('metrics down'))],
    ] as const) {
      it(`still answers 429 when onLimit ${kind} (it answered 500), and warns once`, async () => {
        const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
        const app = await fw.start({
          use: [throttle({ rate: 1, burst: 1, clock: manualClock(), onLimit })],
          routes: [{ method: 'GET', path: '/r' }],
        });
        expect((await app.request('/r')).status).toBe(200);
        for (let i = 0; i < 3; i++) {
          const res = await app.request('/r');
          expect(res.status).toBe(429);
          expect(res.json).toEqual({ message: 'Too Many Requests' });
          expect(res.headers['retry-after']).toBe('1');
        }
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0]![0])).toMatch(/onLimit\(req\) failed \(metrics down\)/);
      });
    }
  });

  describe('responses', () => {
    it('replaces the 429 through the response option, keeping Retry-After', async () => {
      const app = await fw.start({
        use: [
          throttle({
            rate: 1,
            burst: 1,
            clock: manualClock(),
            response: { status: 503, body: { error: 'SLOW_DOWN' }, headers: { 'x-why': 'rate' } },
          }),
        ],
        routes: [{ method: 'GET', path: '/r' }],
      });
      await app.request('/r');
      const res = await app.request('/r');
      expect(res.status).toBe(503);
      expect(res.json).toEqual({ error: 'SLOW_DOWN' });
      expect(res.headers['x-why']).toBe('rate');
      expect(res.headers['retry-after']).toBe('1');
    });

    it('carries the CORS headers on a 429 when cors() runs first', async () => {
      const app = await fw.start({
        use: [cors(), throttle({ rate: 1, burst: 1, clock: manualClock() })],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const headers = { origin: 'https://app.example.com' };
      await app.request('/r', { headers });
      const res = await app.request('/r', { headers });
      expect(res.status).toBe(429);
      expect(res.headers['access-control-allow-origin']).toBe('*');
    });
  });

  describe('when the store fails', () => {
    it('admits requests without RateLimit headers, and warns once, not per request', async () => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      let calls = 0;
      const app = await fw.start({
        use: [throttle({ rate: 1, burst: 1, store: failingStore })],
        routes: [{ method: 'GET', path: '/r', reply: () => ({ body: String(++calls) }) }],
      });
      for (let i = 0; i < 3; i++) {
        const res = await app.request('/r');
        expect(res.status).toBe(200);
        expect(res.headers.ratelimit).toBeUndefined();
        expect(res.headers['ratelimit-policy']).toBeUndefined();
      }
      expect(calls).toBe(3);
      expect(warn).toHaveBeenCalledTimes(1);
    });

    it("answers 503 with onStoreError: 'closed'", async () => {
      vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const app = await fw.start({
        use: [throttle({ rate: 1, store: failingStore, onStoreError: 'closed' })],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const res = await app.request('/r');
      expect(res.status).toBe(503);
      expect(res.json).toEqual({ message: 'Service Unavailable' });
    });
  });
});
