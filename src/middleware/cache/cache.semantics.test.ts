/**
 * Regression specs for the cache's HTTP semantics and its store handling: hostile stores, 304 on
 * non-2xx, 206, invalidation racing a miss, a request's no-store, upstream Age, waiter timeouts.
 */

import {
  afterAll,
  afterEach,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from 'vitest';
import { describeEachFramework, type Reply, type Route } from '../../../test/support/frameworks.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../../../test/support/redis.js';
import { counted, gate, heldFirst } from '../../../test/support/routes.js';
import { redisStore } from '../../redis.js';
import type { CacheEntry, CacheStore } from '../../stores/cache.js';
import { memoryCacheStore } from '../../stores/memory/cache.js';
import { type CacheOptions, cache } from './index.js';

const redis = await connectRedis();
const redisPrefixes: string[] = [];
afterAll(async () => {
  if (redis === undefined) return;
  for (const prefix of redisPrefixes) await deleteByPrefix(redis, prefix);
  redis.disconnect();
});

/** A cache store in Redis under a key prefix of its own. */
function redisCache(): CacheStore {
  const prefix = uniquePrefix('cache-semantics');
  redisPrefixes.push(prefix);
  return redisStore({ client: redis!, prefix, timeoutMs: 1000, onStateChange: () => undefined })
    .cache;
}

/** A synchronous `CacheStore` on a Map: every method returns a value, none a Promise. */
function synchronousStore(): CacheStore {
  const map = new Map<string, CacheEntry>();
  const store = {
    get: (key: string) => map.get(key),
    set: (key: string, entry: CacheEntry) => {
      map.set(key, entry);
    },
    delete: (key: string) => map.delete(key),
    keys: (prefix: string) => [...map.keys()].filter((key) => key.startsWith(prefix)),
    clear: (prefix: string) => {
      for (const key of [...map.keys()]) if (key.startsWith(prefix)) map.delete(key);
    },
    usage: () => ({ entries: map.size, bytes: 0 }),
  };
  return store as unknown as CacheStore;
}

/** A store whose every method does `fail(method)` (throw, reject, or return something wrong). */
function hostileStore(fail: (method: string) => unknown): CacheStore {
  const method = (name: string) => () => fail(name);
  return {
    get: method('get'),
    set: method('set'),
    delete: method('delete'),
    keys: method('keys'),
    clear: method('clear'),
    usage: method('usage'),
  } as unknown as CacheStore;
}

describeEachFramework('cache() semantics', (fw) => {
  async function start(options: CacheOptions, route = counted()) {
    const mw = cache(options);
    const app = await fw.start({ use: [mw], routes: [route.route] });
    return { app, mw, route };
  }

  describe('a custom store that is synchronous, throws, rejects or answers the wrong type', () => {
    let warn: MockInstance<typeof process.emitWarning>;
    beforeEach(() => {
      warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    });
    afterEach(() => {
      warn.mockRestore();
    });
    /** The cache's store warnings: what reads do, what writes do. */
    const cacheWarnings = (consequence = '') =>
      warn.mock.calls
        .map((args) => String(args[0]))
        .filter((text) => text.startsWith('portcullis.cache') && text.includes(consequence));

    it('works as a cache when its methods return values instead of Promises (sync set crashed the process)', async () => {
      const { app, mw, route } = await start({ ttl: 60, store: synchronousStore() });
      const first = await app.request('/r');
      const second = await app.request('/r');
      expect([first.body, second.body]).toEqual(['n=1', 'n=1']);
      expect(second.headers['cache-status']).toMatch(/^portcullis; hit/);
      expect(route.calls).toBe(1);
      expect(await mw.invalidate('/r')).toBe(1);
      expect((await app.request('/r')).body).toBe('n=2');
      await mw.clear();
      expect(cacheWarnings()).toEqual([]);
    });

    it.each([
      [
        'throws synchronously',
        () => {
          throw new Error('store down');
        },
      ],
      ['rejects', () => Promise.reject(new Error('store down'))],
      ['returns a number from every method', () => 42],
      ['returns an object that is not an entry', () => ({ status: 200, body: 'not a Buffer' })],
      ['returns a Promise of garbage', () => Promise.resolve('garbage')],
    ])('answers every request as a miss and logs once when it %s', async (_label, fail) => {
      const { app, mw, route } = await start({ ttl: 60, store: hostileStore(fail) });
      const responses = [];
      for (let i = 0; i < 3; i++) responses.push(await app.request('/r'));
      expect(responses.map((r) => [r.status, r.body])).toEqual([
        [200, 'n=1'],
        [200, 'n=2'],
        [200, 'n=3'],
      ]);
      expect(route.calls).toBe(3);
      // Let the rejected writes of the last response settle before counting log lines.
      await new Promise((resolve) => setTimeout(resolve, 10));
      // Once per outage, reads and writes apart: not once per request.
      expect(cacheWarnings('answered as misses')).toHaveLength(1);
      expect(cacheWarnings('not stored').length).toBeLessThanOrEqual(1);
      expect((await mw.stats()).storeErrors).toBeGreaterThanOrEqual(3);
    });
  });

  describe('conditional requests', () => {
    it('answers a stored 404 as a 404, never 304, to a matching If-None-Match (RFC 9110 §13.2.1)', async () => {
      const notFound = (n: number): Reply => ({
        status: 404,
        headers: { etag: '"gone"' },
        body: `missing ${n}`,
      });
      const { app, route } = await start(
        { ttl: 60, statuses: [200, 404] },
        counted('/r', notFound),
      );
      await app.request('/r');
      for (const ifNoneMatch of ['"gone"', '*']) {
        const res = await app.request('/r', { headers: { 'if-none-match': ifNoneMatch } });
        expect([res.status, res.body]).toEqual([404, 'missing 1']);
        expect(res.headers['cache-status']).toMatch(/^portcullis; hit/);
      }
      expect(route.calls).toBe(1);
    });
  });

  describe('partial content (206)', () => {
    it('is never stored, so a request without Range never gets a partial body', async () => {
      const ranged = rangedRoute(0);
      const app = await fw.start({ use: [cache({ ttl: 60 })], routes: [ranged.route] });
      const partial = await app.request('/file', { headers: { range: 'bytes=0-1' } });
      expect([partial.status, partial.headers['cache-status']]).toEqual([
        206,
        'portcullis; fwd=miss',
      ]);
      const whole = await app.request('/file');
      expect([whole.status, whole.body]).toEqual([200, 'whole 2']);
    });

    it('a request with Range does not make concurrent requests wait for its partial response', async () => {
      const ranged = rangedRoute(100);
      const app = await fw.start({ use: [cache({ ttl: 60 })], routes: [ranged.route] });
      const partial = app.request('/file', { headers: { range: 'bytes=0-1' } });
      await ranged.entered.opened;
      const wholes = await Promise.all(Array.from({ length: 4 }, () => app.request('/file')));
      expect((await partial).status).toBe(206);
      expect(new Set(wholes.map((r) => r.status))).toEqual(new Set([200]));
      // The Range request and one leader for the four others: not one handler run each.
      expect(ranged.calls).toBe(2);
    });
  });

  describe('invalidate() while a miss is in flight', () => {
    const stores: Array<[string, () => CacheStore]> = [['memory', () => memoryCacheStore()]];
    if (redis !== undefined) stores.push(['redis', redisCache]);

    it.each(stores)(
      'wins: the older response is not stored (%s store)',
      async (_name, makeStore) => {
        const route = heldFirst();
        const { entered, release } = route;
        const { app, mw } = await start({ ttl: 60, store: makeStore() }, route);
        const first = app.request('/r');
        await entered.opened;
        await mw.invalidate('/r');
        // A request after the invalidation does not wait for the older miss: it fetches anew.
        const second = await app.request('/r');
        expect(second.body).toBe('n=2');
        release.open();
        expect((await first).body).toBe('n=1');
        const third = await app.request('/r');
        expect([third.body, third.headers['cache-status']]).toEqual([
          'n=2',
          expect.stringMatching(/hit/),
        ]);
        expect(route.calls).toBe(2);
      },
    );

    it.each(stores)('clear() wins too (%s store)', async (_name, makeStore) => {
      const route = heldFirst();
      const { entered, release } = route;
      const { app, mw } = await start({ ttl: 60, store: makeStore() }, route);
      const first = app.request('/r?a=1');
      await entered.opened;
      await mw.clear();
      release.open();
      expect((await first).body).toBe('n=1');
      expect((await app.request('/r?a=1')).body).toBe('n=2');
    });
  });

  describe("a request's Cache-Control: no-store (RFC 9111 §5.2.1.5)", () => {
    it('does not store the response to it, and may still be answered from the cache', async () => {
      const { app, route } = await start({ ttl: 60 });
      const noStore = { headers: { 'cache-control': 'no-store' } };
      const first = await app.request('/r', noStore);
      expect([first.body, first.headers['cache-status']]).toEqual(['n=1', 'portcullis; fwd=miss']);
      const second = await app.request('/r');
      expect([second.body, second.headers['cache-status']]).toEqual([
        'n=2',
        'portcullis; fwd=miss; stored',
      ]);
      const third = await app.request('/r', {
        headers: { 'cache-control': 'max-age=60, no-store' },
      });
      expect([third.body, third.headers['cache-status']]).toEqual([
        'n=2',
        expect.stringMatching(/^portcullis; hit/),
      ]);
      expect(route.calls).toBe(2);
    });
  });

  describe('Age', () => {
    it("of a hit is the upstream's Age plus the time stored (RFC 9111 §4.2.3)", async () => {
      const clock = manualClock();
      const aged = (n: number): Reply => ({ headers: { age: '100' }, body: `n=${n}` });
      const { app } = await start({ ttl: 300, clock }, counted('/r', aged));
      const first = await app.request('/r');
      expect(first.headers.age).toBe('100');
      clock.advance(60_000);
      const hit = await app.request('/r');
      expect([hit.body, hit.headers.age]).toEqual(['n=1', '160']);
      expect(hit.headers['cache-status']).toBe('portcullis; hit; ttl=240');
    });

    it('ignores an invalid upstream Age', async () => {
      const clock = manualClock();
      const bad = (n: number): Reply => ({ headers: { age: '-5' }, body: `n=${n}` });
      const { app } = await start({ ttl: 300, clock }, counted('/r', bad));
      await app.request('/r');
      clock.advance(7_000);
      expect((await app.request('/r')).headers.age).toBe('7');
    });
  });

  describe('waiters of a coalesced miss whose leader never answers', () => {
    it('give up after coalesceTimeout: exactly one of them becomes the new leader', async () => {
      const route = heldFirst();
      const { entered, release } = route;
      const { app } = await start({ ttl: 60, coalesceTimeout: 0.1 }, route);
      const stuck = app.request('/r');
      await entered.opened;
      const waiters = await Promise.all(Array.from({ length: 6 }, () => app.request('/r')));
      expect(route.calls).toBe(2);
      expect(waiters.map((r) => r.body)).toEqual(Array(6).fill('n=2'));
      const statuses = waiters.map((r) => String(r.headers['cache-status']));
      expect(statuses.filter((s) => s === 'portcullis; fwd=miss; stored')).toHaveLength(1);
      expect(statuses.filter((s) => s.endsWith('collapsed') || s.includes('hit'))).toHaveLength(5);
      release.open();
      expect((await stuck).body).toBe('n=1');
    });
  });
});

/**
 * GET /file as a static file server answers it: 206 with two bytes to a request with Range, the
 * whole body otherwise, after `delayMs`. `entered` opens on the first call.
 */
function rangedRoute(delayMs: number) {
  const entered = gate();
  const ranged = { calls: 0, entered, route: { method: 'GET', path: '/file' } as Route };
  const answer = async (range: string | undefined): Promise<Reply> => {
    const n = ++ranged.calls;
    entered.open();
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (range === undefined) return { body: `whole ${n}` };
    return { status: 206, headers: { 'content-range': 'bytes 0-1/7' }, body: `pa${n}` };
  };
  ranged.route.express = async (req: { headers: Record<string, string> }, res: never) =>
    sendReply(res, await answer(req.headers.range));
  ranged.route.koa = async (ctx: {
    headers: Record<string, string>;
    status: number;
    body: string;
    set(h: Record<string, string>): void;
  }) => {
    const reply = await answer(ctx.headers.range);
    ctx.status = reply.status ?? 200;
    ctx.set(reply.headers ?? {});
    ctx.body = String(reply.body);
  };
  return ranged;
}

/** Sends a neutral reply through Express. */
function sendReply(res: never, reply: Reply): void {
  const r = res as {
    status(s: number): void;
    set(h: Record<string, string>): void;
    send(b: string): void;
  };
  r.status(reply.status ?? 200);
  r.set(reply.headers ?? {});
  r.send(String(reply.body));
}

describe('cache() options for the semantics', () => {
  it('refuses 206 in statuses: a partial body would answer requests for other ranges', () => {
    expect(() => cache({ statuses: [200, 206] })).toThrow(/option "statuses"/);
  });

  it('refuses a bad coalesceTimeout, naming it', () => {
    expect(() => cache({ coalesceTimeout: 0 })).toThrow(/option "coalesceTimeout"/);
    expect(() => cache({ coalesceTimeout: Number.NaN })).toThrow(/option "coalesceTimeout"/);
    expect(() => cache({ coalesceTimeout: 0.05 })).not.toThrow();
  });
});
