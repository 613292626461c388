import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { writeHeapSnapshot } from 'node:v8';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeEachFramework, type Framework } from '../../../test/support/frameworks.js';
import { type ManualClock, manualClock } from '../../../test/support/manual-clock.js';
import { parseRateLimit, parseRateLimitPolicy } from '../../../test/support/ratelimit.js';
import { hasRedisServer, startOwnRedis } from '../../../test/support/redis-server.js';
import { memoryStore } from '../../stores/memory/index.js';
import { redisStore } from '../../stores/redis/index.js';
import type { GatewayStore, KeyStore } from '../../stores/types.js';
import { cors } from '../cors/index.js';
import { throttle } from '../throttle/index.js';
import { type UsagePlansOptions, usagePlans } from './index.js';
import { hashKey } from './keys.js';

const FREE_KEY = 'free-key-0123456789abcdef';
const PRO_KEY = 'pro-key-0123456789abcdef0';
const OFF_KEY = 'off-key-0123456789abcdef0';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const PLANS = {
  free: { throttle: { rate: 1, burst: 2 }, quota: { limit: 5, period: 'day' as const } },
  pro: { throttle: { rate: 10, burst: 10 }, quota: { limit: 1000, period: 'day' as const } },
};

const KEYS = [
  { id: 'alice', key: FREE_KEY, plan: 'free' },
  { id: 'bob', key: PRO_KEY, plan: 'pro', name: 'Bob' },
  { id: 'carol', key: OFF_KEY, plan: 'pro', enabled: false },
];

const withKey = (key: string) => ({ headers: { 'x-api-key': key } });

afterEach(() => {
  vi.restoreAllMocks();
});

/** `store` with the name of every call it receives recorded in `calls`. */
/**
 * `store` with each call recorded by name. The memory store's internal Promise-free steps are
 * recorded by their symbol's last word (`consumePlanNow`); `{ promisesOnly: true }` drops them,
 * so that the middleware takes the path any other store gets.
 */
function counting(
  store: GatewayStore,
  { promisesOnly = false } = {},
): { store: GatewayStore; calls: string[] } {
  const calls: string[] = [];
  const counted: Record<string | symbol, unknown> = {};
  for (const name of Reflect.ownKeys(store)) {
    const method = (store as unknown as Record<string | symbol, unknown>)[name];
    if (typeof name === 'symbol' && promisesOnly) continue;
    if (typeof method !== 'function') {
      counted[name] = method;
      continue;
    }
    const label = typeof name === 'symbol' ? name.description!.split('.').pop()! : name;
    counted[name] = (...args: unknown[]) => {
      calls.push(label);
      return (method as (...a: unknown[]) => unknown)(...args);
    };
  }
  return { store: counted as unknown as GatewayStore, calls };
}

/** GET with the path exactly as given (`new URL` would escape `"` and turn `\\` into `/`). */
function rawPathRequest(url: string, path: string, headers: Record<string, string>) {
  const { hostname, port } = new URL(url);
  return new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Koa middleware answering `GET /<path>` the way @koa/router matches by default: case-insensitive,
 * an optional trailing slash, and `HEAD` served by the `GET` route.
 */
function koaRouterLike(path: string) {
  const route = new RegExp(`^${path}/?$`, 'i');
  return async (
    ctx: { method: string; path: string; body: unknown },
    next: () => Promise<void>,
  ) => {
    if ((ctx.method === 'GET' || ctx.method === 'HEAD') && route.test(ctx.path)) ctx.body = 'ok';
    else await next();
  };
}

/** An app with `usagePlans(options)` in front of GET /r, /pets and /other echoing the API key. */
async function start(fw: Framework, options: Partial<UsagePlansOptions> & { clock: ManualClock }) {
  const middleware = usagePlans({ plans: PLANS, keys: KEYS, ...options });
  const echo = {
    reply: (gateway: unknown) => ({
      body: { apiKey: (gateway as { apiKey?: unknown }).apiKey ?? null },
    }),
  };
  const app = await fw.start({
    use: [middleware],
    routes: [
      { method: 'GET', path: '/r', ...echo },
      { method: 'GET', path: '/pets', ...echo },
      { method: 'POST', path: '/pets', ...echo },
    ],
  });
  return { app, middleware };
}

describe('usagePlans() options', () => {
  it('requires plans and validates each, naming the option', () => {
    expect(() => usagePlans({} as never)).toThrow(/option "plans"/);
    expect(() => usagePlans({ plans: {} })).toThrow(/option "plans"/);
    expect(() => usagePlans({ plans: { p: { throttle: { rate: 0 } } } })).toThrow(
      /option "plans.p.throttle.rate"/,
    );
    expect(() => usagePlans({ plans: { p: { throttle: { rate: 1, burst: 0.5 } } } })).toThrow(
      /option "plans.p.throttle.burst"/,
    );
    expect(() =>
      usagePlans({ plans: { p: { quota: { limit: 10, period: 'year' as never } } } }),
    ).toThrow(/option "plans.p.quota.period"/);
    expect(() => usagePlans({ plans: { p: { quota: { limit: -1, period: 'day' } } } })).toThrow(
      /option "plans.p.quota.limit"/,
    );
    expect(() =>
      usagePlans({ plans: { p: { quota: { limit: 10, period: 'day', offset: 11 } } } }),
    ).toThrow(/option "plans.p.quota.offset"/);
    expect(() => usagePlans({ plans: { p: { methods: { pets: { rate: 1 } } } } })).toThrow(
      /option "plans.p.methods"/,
    );
    expect(() =>
      usagePlans({ plans: { p: { quota: { limit: 1, period: 'day' }, qutoa: 1 } as never } }),
    ).toThrow(/unknown option "qutoa"/);
  });

  it('validates keys without ever echoing a key', () => {
    const plans = { p: {} };
    expect(() =>
      usagePlans({ plans, keys: [{ id: 'a', key: 'short-secret', plan: 'p' }] }),
    ).toThrow(/option "keys\[0\].key"/);
    try {
      usagePlans({ plans, keys: [{ id: 'a', key: 'short-secret', plan: 'p' }] });
    } catch (err) {
      expect(String(err)).not.toContain('short-secret');
    }
    expect(() => usagePlans({ plans, keys: [{ id: 'a', key: FREE_KEY, plan: 'gold' }] })).toThrow(
      /option "keys\[0\].plan"/,
    );
    expect(() =>
      usagePlans({
        plans,
        keys: [
          { id: 'a', key: FREE_KEY, plan: 'p' },
          { id: 'a', key: PRO_KEY, plan: 'p' },
        ],
      }),
    ).toThrow(/option "keys\[1\].id"/);
    expect(() =>
      usagePlans({
        plans,
        keys: [
          { id: 'a', key: FREE_KEY, plan: 'p' },
          { id: 'b', key: FREE_KEY, plan: 'p' },
        ],
      }),
    ).toThrow(/option "keys\[1\].key" repeats/);
  });

  it('refuses bad headers, responses, stores and unknown options', () => {
    const plans = { p: {} };
    expect(() => usagePlans({ plans, header: 'x api key' })).toThrow(/option "header"/);
    expect(() => usagePlans({ plans, keySource: 'query' as never })).toThrow(/option "keySource"/);
    expect(() => usagePlans({ plans, responses: { forbiden: {} } as never })).toThrow(
      /unknown option "forbiden"/,
    );
    expect(() => usagePlans({ plans, responses: { forbidden: { status: 1000 } } })).toThrow(
      /option "responses.forbidden.status"/,
    );
    expect(() => usagePlans({ plans, store: {} as never })).toThrow(/option "store"/);
    expect(() => usagePlans({ plans, keys: {} as never })).toThrow(/option "store"/);
    expect(() => usagePlans({ plans, onStoreError: 'maybe' as never })).toThrow(
      /option "onStoreError"/,
    );
    expect(() => usagePlans({ plans, keyCacheSize: -1 })).toThrow(/option "keyCacheSize"/);
    expect(() => usagePlans({ plans, keyCacheSize: 1.5 })).toThrow(/option "keyCacheSize"/);
    expect(() => usagePlans({ plans, plan: {} } as never)).toThrow(/unknown option "plan"/);
  });

  it('refuses bad routing options and two overrides that are one route to the router', () => {
    expect(() => usagePlans({ plans: { p: {} }, strictRouting: 'yes' as never })).toThrow(
      /option "strictRouting"/,
    );
    expect(() => usagePlans({ plans: { p: {} }, caseSensitiveRouting: 1 as never })).toThrow(
      /option "caseSensitiveRouting"/,
    );
    const methods = { 'GET /pets': { rate: 1 }, 'GET /Pets/': { rate: 2 } };
    expect(() => usagePlans({ plans: { p: { methods } } })).toThrow(/option "plans.p.methods"/);
    expect(() =>
      usagePlans({ plans: { p: { methods } }, caseSensitiveRouting: true, strictRouting: true }),
    ).not.toThrow();
    expect(() => usagePlans({ plans: { p: { methods: { 'GET /café': { rate: 1 } } } } })).toThrow(
      /option "plans.p.methods"/,
    );
  });

  it('keeps no plaintext key in memory after importing the keys option (it kept them all)', async () => {
    // The key exists as a heap string only while it is being handed over: its bytes live in a
    // Buffer (outside the JS heap), and a fresh string is made again only after the snapshot.
    const secret = randomBytes(24);
    const middleware = usagePlans({
      plans: PLANS,
      keys: [{ id: 'secret', key: secret.toString('hex'), plan: 'free' }],
    });
    const { items } = await middleware.usage('secret');
    expect(items.secret).toEqual([[0, 5]]);
    const file = writeHeapSnapshot(
      join(tmpdir(), `plans-${process.pid}-${Date.now()}.heapsnapshot`),
    );
    try {
      const snapshot = readFileSync(file, 'latin1');
      expect(snapshot.includes(secret.toString('hex'))).toBe(false);
      // The check can see a retained string: the key's id, kept on purpose, is there.
      expect(snapshot.includes(hashKey(secret.toString('hex')))).toBe(true);
    } finally {
      rmSync(file, { force: true });
    }
    expect(middleware).toBeDefined();
  }, 60_000);

  it('does not mutate the options it is given', () => {
    const options = Object.freeze({
      plans: Object.freeze({ p: Object.freeze({ throttle: Object.freeze({ rate: 1 }) }) }),
      keys: Object.freeze([Object.freeze({ id: 'a', key: FREE_KEY, plan: 'p' })]),
    });
    expect(() => usagePlans(options)).not.toThrow();
  });
});

describeEachFramework('usagePlans()', (fw) => {
  describe('API keys', () => {
    it('answers 403 Forbidden to a missing, unknown or disabled key; the handler never runs', async () => {
      let calls = 0;
      const app = await fw.start({
        use: [usagePlans({ plans: PLANS, keys: KEYS, clock: manualClock() })],
        routes: [{ method: 'GET', path: '/r', reply: () => ({ body: String(++calls) }) }],
      });
      for (const init of [
        {},
        withKey('unknown-key-0123456789abc'),
        withKey(OFF_KEY),
        withKey(''),
      ]) {
        const res = await app.request('/r', init);
        expect(res.status).toBe(403);
        expect(res.json).toEqual({ message: 'Forbidden' });
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.headers.ratelimit).toBeUndefined();
      }
      expect(calls).toBe(0);
    });

    it('answers a refused key once: no second response, no error after the 403', async () => {
      const errors: unknown[] = [];
      const app = await fw.start({
        use: [
          {
            koa: async (_ctx: unknown, next: () => Promise<void>) => {
              await next().catch((err: unknown) => errors.push(err));
            },
          },
          usagePlans({ plans: PLANS, keys: KEYS, clock: manualClock() }),
          {
            express: (err: unknown, _req: unknown, _res: unknown, next: (e: unknown) => void) => {
              errors.push(err);
              next(err);
            },
          },
        ],
        routes: [{ method: 'GET', path: '/r' }],
      });
      for (const key of ['unknown-key-0123456789abc', OFF_KEY])
        expect((await app.request('/r', withKey(key))).status).toBe(403);
      expect(errors).toEqual([]);
    });

    it('admits a valid key and puts apiKey { id, plan } on the context', async () => {
      const { app } = await start(fw, { clock: manualClock() });
      const res = await app.request('/r', withKey(PRO_KEY));
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ apiKey: { id: 'bob', plan: 'pro' } });
    });

    it('reads the key from another header, or from keySource(req)', async () => {
      const clock = manualClock();
      const { app: byHeader } = await start(fw, { clock, header: 'Authorization-Key' });
      expect(
        (await byHeader.request('/r', { headers: { 'authorization-key': PRO_KEY } })).status,
      ).toBe(200);
      expect((await byHeader.request('/r', withKey(PRO_KEY))).status).toBe(403);
      const { app: byQuery } = await start(fw, {
        clock,
        keySource: (req: { url: string }) =>
          new URL(req.url, 'http://x').searchParams.get('api_key') ?? undefined,
      });
      expect((await byQuery.request(`/r?api_key=${PRO_KEY}`)).status).toBe(200);
      expect((await byQuery.request('/r')).status).toBe(403);
    });

    it('looks keys up by SHA-256 only: the store never sees the plaintext', async () => {
      const store = memoryStore();
      const asked: string[] = [];
      const spyKeys: KeyStore = {
        getKeyByHash: (ns, hash) => {
          asked.push(hash);
          return store.getKeyByHash(ns, hash);
        },
        getKey: (ns, id) => store.getKey(ns, id),
        putKey: (ns, record) => store.putKey(ns, record),
        deleteKey: (ns, id) => store.deleteKey(ns, id),
        listKeys: (ns) => store.listKeys(ns),
      };
      const middleware = usagePlans({ plans: PLANS, keys: spyKeys, clock: manualClock() });
      await middleware.importKeys(KEYS);
      asked.length = 0; // importing checks each hash is not already taken
      const app = await fw.start({ use: [middleware], routes: [{ method: 'GET', path: '/r' }] });
      expect((await app.request('/r', withKey(PRO_KEY))).status).toBe(200);
      expect(asked).toEqual([hashKey(PRO_KEY)]);
      expect(asked[0]).toMatch(/^[0-9a-f]{64}$/);
      const stored = JSON.stringify(await store.listKeys('usage-plans'));
      for (const { key } of KEYS) expect(stored).not.toContain(key);
    });

    it('carries the CORS headers on a 403 when cors() runs first', async () => {
      const app = await fw.start({
        use: [cors(), usagePlans({ plans: PLANS, keys: KEYS, clock: manualClock() })],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const res = await app.request('/r', { headers: { origin: 'https://app.example.com' } });
      expect(res.status).toBe(403);
      expect(res.headers['access-control-allow-origin']).toBe('*');
    });

    it('replaces responses through the responses option', async () => {
      const { app } = await start(fw, {
        clock: manualClock(),
        responses: { forbidden: { status: 401, message: 'API key required' } },
      });
      const res = await app.request('/r');
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ message: 'API key required' });
    });
  });

  describe('plan throttle', () => {
    it("answers 429 Too Many Requests when the key's bucket is empty, per key", async () => {
      const { app } = await start(fw, { clock: manualClock() });
      expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(200);
      expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(200);
      const refused = await app.request('/r', withKey(FREE_KEY));
      expect(refused.status).toBe(429);
      expect(refused.json).toEqual({ message: 'Too Many Requests' });
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers.ratelimit).toBe('"free";r=0;t=2');
      expect((await app.request('/r', withKey(PRO_KEY))).status).toBe(200);
    });

    it("uses a method's own throttle for 'GET /pets', and the plan's elsewhere", async () => {
      const plans = {
        free: { ...PLANS.free, methods: { 'GET /pets': { rate: 1, burst: 1 } } },
        pro: PLANS.pro,
      };
      const { app } = await start(fw, { clock: manualClock(), plans });
      const first = await app.request('/pets', withKey(FREE_KEY));
      expect(first.status).toBe(200);
      expect(first.headers['ratelimit-policy']).toMatch(/^"free GET \/pets";q=1;w=1, "free-quota"/);
      expect((await app.request('/pets', withKey(FREE_KEY))).status).toBe(429);
      expect((await app.request('/pets', { ...withKey(FREE_KEY), method: 'POST' })).status).toBe(
        200,
      );
      const other = await app.request('/r', withKey(FREE_KEY));
      expect(other.status).toBe(200);
      expect(other.headers.ratelimit).toMatch(/^"free";r=0;t=2, /);
    });

    it("applies 'GET /pets' to /PETS, /pets/ and HEAD /pets, which the router serves from that route (bypass)", async () => {
      const plans = {
        free: { ...PLANS.free, methods: { 'GET /pets': { rate: 1, burst: 1 } } },
        pro: PLANS.pro,
      };
      const variants: Array<[string, string]> = [
        ['GET', '/PETS'],
        ['GET', '/pets/'],
        ['HEAD', '/pets'],
        ['HEAD', '/Pets/'],
      ];
      for (const [method, path] of variants) {
        const middleware = usagePlans({ plans, keys: KEYS, clock: manualClock() });
        // Express's own router (case-insensitive and non-strict by default, HEAD served by GET);
        // Koa has no router of its own: one that matches as @koa/router does by default.
        const app = await fw.start({
          use: [middleware, { koa: koaRouterLike('/pets') }],
          routes: fw.kind === 'express' ? [{ method: 'GET', path: '/pets' }] : [],
        });
        // The router serves the variant (a key without an override shows it).
        expect((await app.request(path, { ...withKey(PRO_KEY), method })).status).toBe(200);
        expect((await app.request('/pets', withKey(FREE_KEY))).status).toBe(200);
        const variant = await app.request(path, { ...withKey(FREE_KEY), method });
        expect(variant.status, `${method} ${path}`).toBe(429);
      }
    });

    it('escapes a route policy name as an sf-string: a quote or backslash in the path broke the field', async () => {
      const plans = { free: { ...PLANS.free, methods: { 'GET /a"b\\c': { rate: 1, burst: 1 } } } };
      const middleware = usagePlans({ plans, keys: KEYS.slice(0, 1), clock: manualClock() });
      const app = await fw.start({
        use: [
          middleware,
          {
            express: (_req: unknown, res: { end(body: string): void }) => res.end('ok'),
            koa: (ctx: { body: unknown }) => {
              ctx.body = 'ok';
            },
          },
        ],
      });
      const res = await rawPathRequest(app.url, '/a"b\\c', withKey(FREE_KEY).headers);
      expect(res.status).toBe(200);
      const policies = parseRateLimitPolicy(res.headers['ratelimit-policy']);
      expect(policies.map((p) => p.name)).toEqual(['free GET /a"b\\c', 'free-quota']);
      const states = parseRateLimit(res.headers.ratelimit);
      expect(states.map((p) => p.name)).toEqual(['free GET /a"b\\c', 'free-quota']);
    });

    it("feeds throttle({ key: 'apiKey' }) stacked after it", async () => {
      const clock = manualClock();
      const app = await fw.start({
        use: [
          usagePlans({ plans: PLANS, keys: KEYS, clock }),
          throttle({ rate: 1, burst: 1, key: 'apiKey', name: 'per-key', clock }),
        ],
        routes: [{ method: 'GET', path: '/r' }],
      });
      expect((await app.request('/r', withKey(PRO_KEY))).status).toBe(200);
      const refused = await app.request('/r', withKey(PRO_KEY));
      expect(refused.status).toBe(429);
      expect(refused.headers.ratelimit).toMatch(/"per-key";r=0;t=1$/);
    });
  });

  describe('quota', () => {
    it('answers 429 Limit Exceeded with Retry-After until the next UTC day', async () => {
      const clock = manualClock(Date.parse('2026-01-05T23:00:00Z'));
      const plans = { free: { quota: { limit: 3, period: 'day' as const } }, pro: PLANS.pro };
      const { app } = await start(fw, { clock, plans });
      for (let i = 0; i < 3; i++)
        expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(200);
      const refused = await app.request('/r', withKey(FREE_KEY));
      expect(refused.status).toBe(429);
      expect(refused.json).toEqual({ message: 'Limit Exceeded' });
      expect(refused.headers['retry-after']).toBe('3600');
      expect(refused.headers['ratelimit-policy']).toBe('"free-quota";q=3;w=86400');
      expect(refused.headers.ratelimit).toBe('"free-quota";r=0;t=3600');
      clock.advance(HOUR - 1);
      expect((await app.request('/r', withKey(FREE_KEY))).headers['retry-after']).toBe('1');
      clock.advance(1);
      expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(200);
    });

    it('resets weekly quotas on Monday 00:00 UTC', async () => {
      const clock = manualClock(Date.parse('2026-01-07T12:00:00Z')); // a Wednesday
      const plans = { free: { quota: { limit: 1, period: 'week' as const } }, pro: PLANS.pro };
      const { app } = await start(fw, { clock, plans });
      expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(200);
      const refused = await app.request('/r', withKey(FREE_KEY));
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe(String(4.5 * 86_400));
      clock.set(Date.parse('2026-01-11T23:59:59.500Z'));
      expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(429);
      clock.set(Date.parse('2026-01-12T00:00:00Z'));
      expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(200);
    });

    it('resets monthly quotas on the 1st at 00:00 UTC', async () => {
      const clock = manualClock(Date.parse('2026-01-31T12:00:00Z'));
      const plans = { free: { quota: { limit: 1, period: 'month' as const } }, pro: PLANS.pro };
      const { app } = await start(fw, { clock, plans });
      expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(200);
      expect((await app.request('/r', withKey(FREE_KEY))).headers['retry-after']).toBe('43200');
      clock.set(Date.parse('2026-02-01T00:00:00Z'));
      const feb = await app.request('/r', withKey(FREE_KEY));
      expect(feb.status).toBe(200);
      expect(feb.headers['ratelimit-policy']).toBe(`"free-quota";q=1;w=${28 * 86_400}`);
      const refused = await app.request('/r', withKey(FREE_KEY));
      expect(refused.headers['retry-after']).toBe(String(28 * 86_400));
    });

    it('takes offset requests from the first period only', async () => {
      const clock = manualClock();
      const plans = {
        free: { quota: { limit: 5, period: 'day' as const, offset: 3 } },
        pro: PLANS.pro,
      };
      const { app } = await start(fw, { clock, plans });
      const statuses = async (n: number) => {
        const out: number[] = [];
        for (let i = 0; i < n; i++) out.push((await app.request('/r', withKey(FREE_KEY))).status);
        return out;
      };
      expect(await statuses(3)).toEqual([200, 200, 429]);
      clock.advance(DAY);
      expect(await statuses(6)).toEqual([200, 200, 200, 200, 200, 429]);
    });

    it('takes the offset from the period containing startsAt, however late the app starts', async () => {
      const clock = manualClock(Date.parse('2026-01-06T10:00:00Z'));
      const quota = { limit: 5, period: 'day' as const, offset: 3 };
      const plans = { free: { quota }, pro: PLANS.pro };
      const { app } = await start(fw, { clock, plans, startsAt: new Date('2026-01-05T09:00:00Z') });
      const res = await app.request('/r', withKey(FREE_KEY));
      expect(res.headers['ratelimit-policy']).toBe('"free-quota";q=5;w=86400');
      expect(() => usagePlans({ plans, startsAt: 'monday' as never })).toThrow(/option "startsAt"/);
    });

    it('does not count requests refused by the throttle', async () => {
      const clock = manualClock();
      const { app } = await start(fw, { clock });
      expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(200);
      expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(200);
      for (let i = 0; i < 5; i++)
        expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(429);
      clock.advance(5_000);
      const res = await app.request('/r', withKey(FREE_KEY));
      expect(res.status).toBe(200);
      // 5 a day: 3 counted so far, whatever the 5 throttled attempts.
      expect(res.headers.ratelimit).toBe(`"free";r=1;t=1, "free-quota";r=2;t=${86_400 - 5}`);
    });

    it('sends both policies in RateLimit-Policy and RateLimit, or none with headers: false', async () => {
      const clock = manualClock(Date.parse('2026-01-05T12:00:00Z'));
      const { app } = await start(fw, { clock });
      const res = await app.request('/r', withKey(PRO_KEY));
      expect(res.headers['ratelimit-policy']).toBe('"pro";q=10;w=1, "pro-quota";q=1000;w=86400');
      expect(res.headers.ratelimit).toBe('"pro";r=9;t=1, "pro-quota";r=999;t=43200');
      const { app: quiet } = await start(fw, { clock, headers: false });
      const plain = await quiet.request('/r', withKey(PRO_KEY));
      expect(plain.status).toBe(200);
      expect(plain.headers.ratelimit).toBeUndefined();
      expect(plain.headers['ratelimit-policy']).toBeUndefined();
    });
  });

  describe('management', () => {
    it('creates a 40-character key that works on the next request, shown once', async () => {
      const { app, middleware } = await start(fw, { clock: manualClock() });
      const created = await middleware.createKey({ plan: 'pro', id: 'dave', name: 'Dave' });
      expect(created.id).toBe('dave');
      expect(created.key).toMatch(/^[A-Za-z0-9_-]{40}$/);
      const res = await app.request('/r', withKey(created.key));
      expect(res.json).toEqual({ apiKey: { id: 'dave', plan: 'pro' } });
      const another = await middleware.createKey({ plan: 'free' });
      expect(another.id).not.toBe('dave');
      expect(another.key).not.toBe(created.key);
      await expect(middleware.createKey({ plan: 'pro', id: 'dave' })).rejects.toThrow(
        /option "id"/,
      );
      await expect(middleware.createKey({ plan: 'gold' })).rejects.toThrow(/plan/);
    });

    for (const [variant, promisesOnly, step] of [
      ['memoryStore()', false, 'consumePlanNow'],
      ['a store whose step returns a Promise', true, 'consumePlan'],
    ] as const)
      it(`sees keys disabled, moved or deleted on the very next request despite the record cache (${variant})`, async () => {
        const { store, calls } = counting(memoryStore(), { promisesOnly });
        const clock = manualClock();
        const { app, middleware } = await start(fw, { clock, store });
        // Another instance on the same store, with a cache of its own.
        const other = await fw.start({
          use: [usagePlans({ plans: PLANS, store, clock })],
          routes: [{ method: 'GET', path: '/r' }],
        });
        const status = async (on = app) => (await on.request('/r', withKey(PRO_KEY))).status;
        expect(await status()).toBe(200);
        expect(await status(other)).toBe(200);
        calls.length = 0;
        expect([await status(), await status(), await status(other)]).toEqual([200, 200, 200]);
        // Known keys cost one store call each: the record is re-checked inside it.
        expect(calls).toEqual([step, step, step]);

        await middleware.disableKey('bob');
        calls.length = 0;
        expect([await status(), await status(other)]).toEqual([403, 403]);
        expect(calls).toEqual([step, step]);
        await middleware.enableKey('bob');
        expect([await status(), await status(other)]).toEqual([200, 200]);
        await middleware.setPlan('bob', 'free');
        // The key's bucket and quota are its own whatever its plan: a new day for the free quota (5).
        clock.advance(DAY);
        // Both instances move to the free plan's bucket (burst 2), which they share.
        for (const on of [app, other]) {
          const moved = await on.request('/r', withKey(PRO_KEY));
          expect(moved.status).toBe(200);
          expect(moved.headers['ratelimit-policy']).toMatch(/^"free";q=2/);
        }
        expect((await app.request('/r', withKey(PRO_KEY))).status).toBe(429);
        await middleware.deleteKey('bob');
        expect([await status(), await status(other)]).toEqual([403, 403]);
      });

    it('reads the record on every request with keyCacheSize: 0', async () => {
      const { store, calls } = counting(memoryStore());
      const { app } = await start(fw, { clock: manualClock(), store, keyCacheSize: 0 });
      expect((await app.request('/r', withKey(PRO_KEY))).status).toBe(200);
      calls.length = 0;
      expect((await app.request('/r', withKey(PRO_KEY))).status).toBe(200);
      expect(calls).toEqual(['getKeyByHash', 'consumePlan']);
    });

    it('disables, enables, moves and deletes keys, effective on the next request', async () => {
      const { app, middleware } = await start(fw, { clock: manualClock() });
      await middleware.disableKey('bob');
      expect((await app.request('/r', withKey(PRO_KEY))).status).toBe(403);
      await middleware.enableKey('bob');
      expect((await app.request('/r', withKey(PRO_KEY))).status).toBe(200);
      await middleware.setPlan('bob', 'free');
      const moved = await app.request('/r', withKey(PRO_KEY));
      expect(moved.json).toEqual({ apiKey: { id: 'bob', plan: 'free' } });
      expect(moved.headers['ratelimit-policy']).toMatch(/^"free";q=2/);
      expect(await middleware.deleteKey('bob')).toBe(true);
      expect(await middleware.deleteKey('bob')).toBe(false);
      expect((await app.request('/r', withKey(PRO_KEY))).status).toBe(403);
      await expect(middleware.disableKey('nobody')).rejects.toThrow(/option "id"/);
      await expect(middleware.setPlan('alice', 'gold')).rejects.toThrow(/option "plan"/);
    });

    it('imports keys, replacing a key by id', async () => {
      const { app, middleware } = await start(fw, { clock: manualClock() });
      const fresh = 'fresh-key-0123456789abcdef';
      await middleware.importKeys([{ id: 'alice', key: fresh, plan: 'pro' }]);
      expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(403);
      expect((await app.request('/r', withKey(fresh))).json).toEqual({
        apiKey: { id: 'alice', plan: 'pro' },
      });
      await expect(middleware.importKeys([{ id: 'zed', key: fresh, plan: 'pro' }])).rejects.toThrow(
        /already in use/,
      );
    });

    it('keeps run-time changes when another instance starts with the same keys (start re-imported keys, undoing disableKey/setPlan)', async () => {
      const store = memoryStore();
      const clock = manualClock();
      const { middleware } = await start(fw, { clock, store });
      await middleware.disableKey('alice');
      await middleware.setPlan('bob', 'free');
      // Another instance (or a restart) with the same `keys` option and the same store.
      const { app } = await start(fw, { clock, store });
      expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(403);
      expect((await app.request('/r', withKey(PRO_KEY))).json).toEqual({
        apiKey: { id: 'bob', plan: 'free' },
      });
      // A definition whose content changed is applied, once.
      const changed = KEYS.map((k) => (k.id === 'alice' ? { ...k, plan: 'pro' } : k));
      const { app: redeployed } = await start(fw, { clock, store, keys: changed });
      expect((await redeployed.request('/r', withKey(FREE_KEY))).json).toEqual({
        apiKey: { id: 'alice', plan: 'pro' },
      });
      expect((await redeployed.request('/r', withKey(PRO_KEY))).json).toEqual({
        apiKey: { id: 'bob', plan: 'free' },
      });
    });

    it('keeps a key deleted at run time deleted when another instance starts with the same keys (start re-created it)', async () => {
      const store = memoryStore();
      const clock = manualClock();
      const { middleware } = await start(fw, { clock, store });
      expect(await middleware.deleteKey('alice')).toBe(true);
      const { app } = await start(fw, { clock, store });
      expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(403);
      expect((await app.request('/r', withKey(PRO_KEY))).status).toBe(200);
      // A definition whose content changed since is a new decision of the operator: applied.
      const changed = KEYS.map((k) => (k.id === 'alice' ? { ...k, plan: 'pro' } : k));
      const { app: redeployed, middleware: later } = await start(fw, {
        clock,
        store,
        keys: changed,
      });
      expect((await redeployed.request('/r', withKey(FREE_KEY))).json).toEqual({
        apiKey: { id: 'alice', plan: 'pro' },
      });
      // An explicit importKeys() at run time brings a deleted key back.
      await later.deleteKey('bob');
      await later.importKeys(KEYS.filter((k) => k.id === 'bob'));
      expect((await redeployed.request('/r', withKey(PRO_KEY))).status).toBe(200);
    });

    it("serves the other keys when a key of the keys option is already another id's (a conflicting import answered 503 forever)", async () => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const store = memoryStore();
      const { middleware: first } = await start(fw, { clock: manualClock(), store, keys: [] });
      await first.importKeys([{ id: 'zed', key: FREE_KEY, plan: 'pro' }]);
      const { app } = await start(fw, { clock: manualClock(), store });
      expect((await app.request('/r', withKey(PRO_KEY))).status).toBe(200);
      expect((await app.request('/r', withKey(FREE_KEY))).json).toEqual({
        apiKey: { id: 'zed', plan: 'pro' },
      });
      const conflicts = warn.mock.calls.filter(([message]) => /"alice"/.test(String(message)));
      expect(conflicts).toHaveLength(1);
      expect(String(conflicts[0]![0])).not.toContain(FREE_KEY);
    });

    it("reports a deleted key's usage history (usage() rejected)", async () => {
      const clock = manualClock(Date.parse('2026-01-05T10:00:00Z'));
      const { app, middleware } = await start(fw, { clock });
      await app.request('/r', withKey(FREE_KEY));
      await app.request('/r', withKey(FREE_KEY));
      expect(await middleware.deleteKey('alice')).toBe(true);
      expect(await middleware.usage('alice')).toEqual({
        startDate: '2026-01-05',
        endDate: '2026-01-05',
        items: { alice: [[2, null]] },
      });
    });

    it("starts a new key that reuses a deleted key's id at zero quota (it inherited the old count)", async () => {
      const clock = manualClock();
      const { app, middleware } = await start(fw, { clock });
      for (let i = 0; i < 5; i++) {
        clock.advance(1000);
        expect((await app.request('/r', withKey(FREE_KEY))).status).toBe(200);
      }
      clock.advance(1000);
      expect((await app.request('/r', withKey(FREE_KEY))).json).toEqual({
        message: 'Limit Exceeded',
      });
      await middleware.deleteKey('alice');
      const { key } = await middleware.createKey({ plan: 'free', id: 'alice' });
      const res = await app.request('/r', withKey(key));
      expect(res.status).toBe(200);
      expect(res.headers.ratelimit).toMatch(/"free-quota";r=4;/);
    });

    it('lets exactly one of two concurrent createKey() calls with one id succeed (both did)', async () => {
      const { app, middleware } = await start(fw, { clock: manualClock() });
      const results = await Promise.allSettled([
        middleware.createKey({ plan: 'free', id: 'twin' }),
        middleware.createKey({ plan: 'pro', id: 'twin' }),
      ]);
      const created = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(created).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(String(refused.reason)).toMatch(/option "id"/);
      expect((await app.request('/r', withKey(created[0]!.key))).status).toBe(200);
    });

    it('refuses keys that cannot be presented in a header: control characters, spaces, too long (accepted before)', async () => {
      const { middleware } = await start(fw, { clock: manualClock() });
      for (const key of [
        `abc\u0001${'x'.repeat(20)}`,
        `tab\t${'x'.repeat(20)}`,
        `space ${'x'.repeat(20)}`,
        `caf\u00e9${'x'.repeat(20)}`,
        'x'.repeat(257),
      ]) {
        await expect(middleware.importKeys([{ id: 'bad', key, plan: 'free' }])).rejects.toThrow(
          /option "importKeys\[0\].key"/,
        );
        expect(() =>
          usagePlans({ plans: PLANS, keys: [{ id: 'bad', key, plan: 'free' }] }),
        ).toThrow(/option "keys\[0\].key"/);
      }
    });

    it('reports usage per key and UTC day as [used, remaining]', async () => {
      const clock = manualClock(Date.parse('2026-01-05T10:00:00Z'));
      const { app, middleware } = await start(fw, { clock });
      for (let i = 0; i < 2; i++) await app.request('/r', withKey(FREE_KEY));
      await app.request('/r', withKey(PRO_KEY));
      clock.advance(2 * DAY);
      for (let i = 0; i < 2; i++) await app.request('/r', withKey(FREE_KEY));
      clock.advance(5_000);
      await app.request('/r', withKey(FREE_KEY));
      const report = await middleware.usage('alice', { from: '2026-01-05', to: '2026-01-08' });
      expect(report).toEqual({
        startDate: '2026-01-05',
        endDate: '2026-01-08',
        items: {
          alice: [
            [2, 3],
            [0, 5],
            [3, 2],
            [0, 5],
          ],
        },
      });
      const all = await middleware.usage(undefined, { from: new Date('2026-01-05T00:00:00Z') });
      expect(all.endDate).toBe('2026-01-07');
      expect(all.items.bob).toEqual([
        [1, 999],
        [0, 1000],
        [0, 1000],
      ]);
      expect(Object.keys(all.items).sort()).toEqual(['alice', 'bob', 'carol']);
      await expect(
        middleware.usage('alice', { from: '2026-01-08', to: '2026-01-05' }),
      ).rejects.toThrow(/option "to"/);
    });
  });

  describe('when the client aborts', () => {
    /**
     * Sends a request on a raw socket and destroys the socket when `abortWhen` says so: after part
     * of the body (the server still reading it) or after the first bytes of the response.
     */
    function abortedRequest(url: string, head: string, abortWhen: 'mid-body' | 'mid-response') {
      const { port } = new URL(url);
      return new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(head);
          if (abortWhen === 'mid-body') {
            socket.write('{"partial":');
            setTimeout(() => socket.destroy(), 50);
          }
        });
        socket.on('data', () => {
          if (abortWhen === 'mid-response') socket.destroy();
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
    }

    it('logs nothing at warn or error and charges the quota exactly once, aborted mid-body or mid-response', async () => {
      const logged: unknown[] = [];
      for (const level of ['error', 'warn'] as const)
        vi.spyOn(console, level).mockImplementation((...args) => logged.push(args));
      vi.spyOn(process, 'emitWarning').mockImplementation((...args) => logged.push(args));
      const clock = manualClock();
      const middleware = usagePlans({ plans: PLANS, keys: KEYS, clock });
      let finishedBodies = 0;
      const app = await fw.start({
        // Koa itself hands the aborted upload and the closed stream to its error handling (the
        // harness records them): its own behaviour, not a middleware's.
        expectsErrors: /^(Parse Error|Premature close|aborted)/,
        use: [middleware, throttle({ rate: 100, key: 'apiKey', clock })],
        routes: [
          {
            method: 'POST',
            path: '/upload',
            express: (req: NodeJS.ReadableStream, res: { end(body: string): void }) => {
              req.on('error', () => undefined);
              req.resume();
              req.on('end', () => {
                finishedBodies++;
                res.end('ok');
              });
            },
            koa: async (ctx: { req: NodeJS.ReadableStream; body: unknown }) => {
              ctx.req.on('error', () => undefined);
              await new Promise<void>((resolve) => {
                ctx.req.on('end', () => resolve());
                ctx.req.on('close', () => resolve());
                ctx.req.resume();
              });
              ctx.body = 'ok';
            },
          },
          {
            method: 'GET',
            path: '/stream',
            express: (_req: unknown, res: NodeJS.WritableStream & { flushHeaders(): void }) => {
              res.write('first part ');
              setTimeout(() => res.end('rest'), 200);
            },
            koa: (ctx: { body: unknown }) => {
              const body = new PassThrough();
              body.write('first part ');
              setTimeout(() => body.end('rest'), 200);
              ctx.body = body;
            },
          },
        ],
      });
      const key = `x-api-key: ${PRO_KEY}\r\n`;
      await abortedRequest(
        app.url,
        `POST /upload HTTP/1.1\r\nhost: x\r\n${key}content-type: application/json\r\ncontent-length: 1000\r\n\r\n`,
        'mid-body',
      );
      await abortedRequest(
        app.url,
        `GET /stream HTTP/1.1\r\nhost: x\r\n${key}\r\n`,
        'mid-response',
      );
      // Whatever the server still does with them has happened by now.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(finishedBodies).toBe(0);
      expect((await middleware.usage('bob')).items.bob).toEqual([[2, 998]]);
      expect(logged).toEqual([]);
    });
  });

  describe('when the store fails', () => {
    /**
     * A memory store whose `methods` reject. Without `consumePlan` among them, the store has no
     * combined step at all, so that the middleware makes one call per decision.
     */
    function failing(methods: Array<keyof GatewayStore>): GatewayStore {
      const store = memoryStore();
      const broken = { ...store } as GatewayStore;
      if (!methods.includes('consumePlan')) delete broken.consumePlan;
      for (const method of methods)
        (broken as unknown as Record<string, unknown>)[method] = () =>
          Promise.reject(new Error('down'));
      return broken;
    }

    it.each([
      // The combined step failed: with 'open' the decisions are taken one by one instead.
      ['consumePlan' as const, '"pro";r=9;t=1, "pro-quota";r=999;t=86400'],
      // A store without the combined step whose quota fails: admitted uncounted with 'open' (the
      // bucket, shared by both apps, gave a token to the 503 too, as the throttle runs first).
      ['consumeQuota' as const, '"pro";r=8;t=1'],
    ])(
      "answers 503 when %s fails ('closed' by default), admits with 'open'",
      async (method, fields) => {
        vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
        const store = failing([method]);
        const { app: closed } = await start(fw, { clock: manualClock(), store });
        const res = await closed.request('/r', withKey(PRO_KEY));
        expect(res.status).toBe(503);
        expect(res.json).toEqual({ message: 'Service Unavailable' });
        const { app: open } = await start(fw, {
          clock: manualClock(),
          store,
          onStoreError: 'open',
        });
        const admitted = await open.request('/r', withKey(PRO_KEY));
        expect(admitted.status).toBe(200);
        expect(admitted.headers.ratelimit).toBe(fields);
      },
    );

    it.skipIf(!hasRedisServer())(
      'serves the first request after Redis comes up when it was down at start (503 forever)',
      async () => {
        vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
        const redis = await startOwnRedis();
        await redis.stop();
        const client = new Redis(redis.url, { retryStrategy: () => 50, maxRetriesPerRequest: 1 });
        client.on('error', () => undefined);
        try {
          const store = redisStore({ client, onStateChange: () => undefined, timeoutMs: 500 });
          const { app } = await start(fw, { clock: manualClock(), store });
          for (let i = 0; i < 3; i++) {
            const down = await app.request('/r', withKey(PRO_KEY));
            expect(down.status).toBe(503);
            expect(down.json).toEqual({ message: 'Service Unavailable' });
          }
          await redis.start();
          const deadline = Date.now() + 5000;
          while (client.status !== 'ready' && Date.now() < deadline)
            await new Promise((resolve) => setTimeout(resolve, 20));
          const first = await app.request('/r', withKey(PRO_KEY));
          expect(first.status).toBe(200);
          expect(first.json).toEqual({ apiKey: { id: 'bob', plan: 'pro' } });
          expect((await app.request('/r', withKey(OFF_KEY))).status).toBe(403);
        } finally {
          client.disconnect();
          await redis.stop();
        }
      },
      15_000,
    );

    it('admits keys without their plan throttle when buckets fail', async () => {
      vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const { app } = await start(fw, { clock: manualClock(), store: failing(['consumeBucket']) });
      for (let i = 0; i < 4; i++) {
        const res = await app.request('/r', withKey(FREE_KEY));
        expect(res.status).toBe(200);
        expect(res.headers.ratelimit).not.toMatch(/"free";/);
      }
    });

    it('answers 503, never admitting, when keys cannot be looked up', async () => {
      vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const { app } = await start(fw, { clock: manualClock(), store: failing(['getKeyByHash']) });
      expect((await app.request('/r', withKey(PRO_KEY))).status).toBe(503);
    });
  });
});
