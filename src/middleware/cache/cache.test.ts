import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { describeEachFramework, type Reply, type Route } from '../../../test/support/frameworks.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { counted } from '../../../test/support/routes.js';
import type { CacheStore } from '../../stores/cache.js';
import { memoryCacheStore } from '../../stores/memory/cache.js';
import { cors } from '../cors/index.js';
import { type CacheOptions, cache } from './index.js';

/** `store` with only the public, Promise-returning methods (as any store but the memory one). */
function promisesOnly(store: CacheStore): CacheStore {
  return {
    get: (key) => store.get(key),
    set: (key, entry) => store.set(key, entry),
    delete: (key) => store.delete(key),
    keys: (prefix) => store.keys(prefix),
    clear: (prefix) => store.clear(prefix),
    usage: (prefix) => store.usage(prefix),
  };
}

describeEachFramework('cache()', (fw) => {
  async function start(options: number | CacheOptions, route = counted()) {
    const mw = cache(options);
    const app = await fw.start({ use: [mw], routes: [route.route] });
    return { app, mw, route };
  }

  describe('a GET asked twice', () => {
    it('runs the handler once and replays status, headers and body with Age and Cache-Status', async () => {
      const seen: unknown[] = [];
      const route = counted('/r', (n) => ({
        headers: { 'content-type': 'text/x-demo', 'x-upstream': 'yes' },
        body: `n=${n}`,
      }));
      const inner = route.route.reply as (g: unknown) => Reply;
      route.route.reply = (gateway) => {
        seen.push((gateway as { cache?: string }).cache);
        return inner(gateway);
      };
      const { app } = await start({ clock: manualClock() }, route);
      const first = await app.request('/r');
      const second = await app.request('/r');
      expect(route.calls).toBe(1);
      expect(seen).toEqual(['portcullis; fwd=miss']);
      expect(first.headers['cache-status']).toBe('portcullis; fwd=miss; stored');
      expect(first.headers.age).toBeUndefined();
      expect([second.status, second.body]).toEqual([200, 'n=1']);
      expect(second.headers['cache-status']).toBe('portcullis; hit; ttl=300');
      expect(second.headers.age).toBe('0');
      expect(second.headers['content-type']).toBe(first.headers['content-type']);
      expect(second.headers['x-upstream']).toBe('yes');
      expect(second.headers['content-length']).toBe('3');
      expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    });

    it('keeps headers set per request by earlier middlewares fresh on hits', async () => {
      let n = 0;
      const stamp = {
        express: (
          _req: unknown,
          res: { setHeader(n: string, v: string): void },
          next: () => void,
        ) => {
          res.setHeader('ratelimit', `remaining=${++n}`);
          next();
        },
        koa: (ctx: { set(n: string, v: string): void }, next: () => Promise<void>) => {
          ctx.set('ratelimit', `remaining=${++n}`);
          return next();
        },
      };
      const app = await fw.start({ use: [stamp, cache(60)], routes: [counted().route] });
      await app.request('/r');
      const hit = await app.request('/r');
      expect([hit.body, hit.headers.ratelimit]).toEqual(['n=1', 'remaining=2']);
    });

    it('gives a hit its own request id', async () => {
      const { app } = await start(60);
      await app.request('/r', { headers: { 'x-request-id': 'first-id' } });
      const hit = await app.request('/r', { headers: { 'x-request-id': 'second-id' } });
      expect(hit.headers['cache-status']).toMatch(/hit/);
      expect(hit.headers['x-request-id']).toBe('second-id');
    });

    it('grows Age, shrinks ttl, and expires at exactly ttl', async () => {
      const clock = manualClock();
      const { app, route } = await start({ ttl: 300, clock });
      await app.request('/r');
      clock.advance(60_000);
      const later = await app.request('/r');
      expect(later.headers.age).toBe('60');
      expect(later.headers['cache-status']).toBe('portcullis; hit; ttl=240');
      clock.advance(240_000 - 1);
      const last = await app.request('/r');
      expect([last.body, last.headers.age]).toEqual(['n=1', '299']);
      clock.advance(1);
      const expired = await app.request('/r');
      expect([expired.body, expired.headers['cache-status']]).toEqual([
        'n=2',
        'portcullis; fwd=miss; stored',
      ]);
      expect(route.calls).toBe(2);
    });

    it('does nothing with ttl 0, nor for POST', async () => {
      const off = await start(0);
      await off.app.request('/r');
      const again = await off.app.request('/r');
      expect([again.body, again.headers['cache-status']]).toEqual(['n=2', undefined]);
      const post = counted();
      post.route.method = 'POST';
      const { app } = await start(60, post);
      await app.request('/r', { method: 'POST' });
      const second = await app.request('/r', { method: 'POST' });
      expect([second.body, second.headers['cache-status']]).toEqual(['n=2', undefined]);
    });

    it('answers HEAD from the GET entry, without a body', async () => {
      const { app, route } = await start(60);
      const get = await app.request('/r');
      const head = await app.request('/r', { method: 'HEAD' });
      expect(route.calls).toBe(1);
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
      expect(head.headers['cache-status']).toMatch(/^portcullis; hit/);
      expect(head.headers['content-length']).toBe(get.headers['content-length']);
    });
  });

  describe('the key', () => {
    it('sorts query parameters, and counts only the listed ones', async () => {
      const all = await start(60);
      await all.app.request('/r?b=2&a=1');
      expect((await all.app.request('/r?a=1&b=2')).body).toBe('n=1');
      expect((await all.app.request('/r?a=1&b=3')).body).toBe('n=2');
      const listed = await start({ ttl: 60, query: ['city'] });
      await listed.app.request('/r?city=Oslo&utm=x');
      expect((await listed.app.request('/r?utm=y&city=Oslo')).body).toBe('n=1');
      expect((await listed.app.request('/r?city=Bergen')).body).toBe('n=2');
      const none = await start({ ttl: 60, query: false });
      await none.app.request('/r?x=1');
      expect((await none.app.request('/r?x=2')).body).toBe('n=1');
    });

    it('adds the listed request headers and key(req), which receives the framework request', async () => {
      const kinds: string[] = [];
      const { app } = await start({
        ttl: 60,
        headers: ['Accept-Language'],
        key: (req) => {
          kinds.push(typeof req.get === 'function' ? 'has get' : 'no get');
          return String(req.headers['x-tenant'] ?? '');
        },
      });
      await app.request('/r', { headers: { 'accept-language': 'nb', 'x-tenant': 't1' } });
      const same = await app.request('/r', {
        headers: { 'accept-language': 'nb', 'x-tenant': 't1' },
      });
      const otherLanguage = await app.request('/r', {
        headers: { 'accept-language': 'en', 'x-tenant': 't1' },
      });
      const otherTenant = await app.request('/r', {
        headers: { 'accept-language': 'nb', 'x-tenant': 't2' },
      });
      expect([same.body, otherLanguage.body, otherTenant.body]).toEqual(['n=1', 'n=2', 'n=3']);
      // Express req.get() and Koa ctx.get() both exist: the native request reaches the callback.
      expect(kinds).toEqual(['has get', 'has get', 'has get', 'has get']);
    });

    it('stores a variant per value of the headers a response varies on, and never Vary: *', async () => {
      const varying = counted('/r', (n) => ({
        headers: { vary: 'Accept-Language' },
        body: `n=${n}`,
      }));
      const { app } = await start(60, varying);
      const nb = { headers: { 'accept-language': 'nb' } };
      const en = { headers: { 'accept-language': 'en' } };
      await app.request('/r', nb);
      expect((await app.request('/r', en)).body).toBe('n=2');
      expect((await app.request('/r', nb)).body).toBe('n=1');
      const hitEn = await app.request('/r', en);
      expect([hitEn.body, hitEn.headers.vary]).toEqual(['n=2', 'Accept-Language']);
      const star = await start(
        60,
        counted('/r', (n) => ({ headers: { vary: '*' }, body: `n=${n}` })),
      );
      await star.app.request('/r');
      const second = await star.app.request('/r');
      expect([second.body, second.headers['cache-status']]).toEqual([
        'n=2',
        'portcullis; fwd=miss',
      ]);
    });
  });

  describe('what is never stored', () => {
    it.each([
      ['Set-Cookie', { 'set-cookie': 'sid=secret' }],
      ['Cache-Control: no-store', { 'cache-control': 'no-store' }],
      ['Cache-Control: private', { 'cache-control': 'max-age=60, private' }],
    ])('a response with %s', async (_label, headers) => {
      const { app, route } = await start(
        60,
        counted('/r', (n) => ({ headers, body: `n=${n}` })),
      );
      const first = await app.request('/r');
      const second = await app.request('/r');
      expect(first.headers['cache-status']).toBe('portcullis; fwd=miss');
      expect(second.body).toBe('n=2');
      expect(route.calls).toBe(2);
    });

    it('a status outside `statuses` (404 by default), unless listed', async () => {
      const notFound = (n: number): Reply => ({ status: 404, body: `n=${n}` });
      const byDefault = await start(60, counted('/r', notFound));
      await byDefault.app.request('/r');
      expect((await byDefault.app.request('/r')).body).toBe('n=2');
      const listed = await start({ ttl: 60, statuses: [200, 404] }, counted('/r', notFound));
      await listed.app.request('/r');
      const hit = await listed.app.request('/r');
      expect([hit.status, hit.body]).toEqual([404, 'n=1']);
    });

    it('a body larger than maxEntrySize, which is still delivered whole', async () => {
      const big = (n: number): Reply => ({ body: `${n}${'x'.repeat(4000)}` });
      const { app } = await start({ ttl: 60, maxEntrySize: 1024 }, counted('/r', big));
      const first = await app.request('/r');
      expect(first.body).toHaveLength(4001);
      expect(first.headers['cache-status']).toBe('portcullis; fwd=miss');
      expect((await app.request('/r')).body.startsWith('2')).toBe(true);
    });
  });

  describe('requests with credentials', () => {
    it('are neither served from nor stored into the cache by default', async () => {
      const { app, route } = await start(60);
      await app.request('/r');
      const withAuth = await app.request('/r', { headers: { authorization: 'Bearer alice' } });
      const withCookie = await app.request('/r', { headers: { cookie: 'sid=alice' } });
      expect([withAuth.body, withCookie.body]).toEqual(['n=2', 'n=3']);
      expect(withAuth.headers['cache-status']).toBe('portcullis; fwd=bypass');
      expect((await app.request('/r')).body).toBe('n=1');
      expect(route.calls).toBe(3);
    });

    it('are cached with shared: true, or per credential when the key includes it', async () => {
      const shared = await start({ ttl: 60, shared: true });
      await shared.app.request('/r', { headers: { authorization: 'Bearer alice' } });
      expect((await shared.app.request('/r', { headers: { cookie: 'x=1' } })).body).toBe('n=1');
      const keyed = await start({ ttl: 60, headers: ['authorization'] });
      const alice = { headers: { authorization: 'Bearer alice' } };
      await keyed.app.request('/r', alice);
      expect((await keyed.app.request('/r', alice)).body).toBe('n=1');
      expect(
        (await keyed.app.request('/r', { headers: { authorization: 'Bearer bob' } })).body,
      ).toBe('n=2');
      expect(
        (await keyed.app.request('/r', { headers: { ...alice.headers, cookie: 'c=1' } })).headers[
          'cache-status'
        ],
      ).toBe('portcullis; fwd=bypass');
    });
  });

  describe('a client asking for a fresh response', () => {
    const noCache = { headers: { 'cache-control': 'no-cache' } };

    it('is served from the cache by default', async () => {
      const { app } = await start(60);
      await app.request('/r');
      expect((await app.request('/r', noCache)).body).toBe('n=1');
      expect((await app.request('/r', { headers: { 'cache-control': 'max-age=0' } })).body).toBe(
        'n=1',
      );
      expect((await app.request('/r', { headers: { pragma: 'no-cache' } })).body).toBe('n=1');
    });

    it("refreshes the entry with invalidation: 'allow'", async () => {
      const { app } = await start({ ttl: 60, invalidation: 'allow' });
      await app.request('/r');
      const refreshed = await app.request('/r', noCache);
      expect([refreshed.body, refreshed.headers['cache-status']]).toEqual([
        'n=2',
        'portcullis; fwd=request; stored',
      ]);
      expect((await app.request('/r')).body).toBe('n=2');
    });

    it("answers 403 with invalidation: 'deny'", async () => {
      const { app, route } = await start({ ttl: 60, invalidation: 'deny' });
      const res = await app.request('/r', noCache);
      expect(res.status).toBe(403);
      expect(res.json).toEqual({ message: 'Forbidden' });
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(route.calls).toBe(0);
    });

    it('refreshes only for callers the function allows', async () => {
      const { app } = await start({
        ttl: 60,
        invalidation: async (req) => req.headers['x-admin'] === 'yes',
      });
      await app.request('/r');
      expect((await app.request('/r', noCache)).body).toBe('n=1');
      const admin = await app.request('/r', { headers: { ...noCache.headers, 'x-admin': 'yes' } });
      expect(admin.body).toBe('n=2');
    });
  });

  describe('conditional requests', () => {
    it('answers 304 without a body to a matching If-None-Match (its own strong ETag or the handler’s)', async () => {
      const { app } = await start(60);
      await app.request('/r');
      const hit = await app.request('/r');
      const etag = String(hit.headers.etag);
      // Express makes a weak ETag for res.send; Koa sends none, so the cache made a strong one.
      expect(etag).toMatch(fw.kind === 'express' ? /^W\/"/ : /^"[A-Za-z0-9_-]+"$/);
      const conditional = await app.request('/r', {
        headers: { 'if-none-match': `"nope", ${etag}` },
      });
      expect([conditional.status, conditional.body]).toEqual([304, '']);
      expect(conditional.headers.etag).toBe(etag);
      expect(conditional.headers['content-type']).toBeUndefined();
      expect(conditional.headers['cache-status']).toMatch(/^portcullis; hit/);
      const other = await app.request('/r', { headers: { 'if-none-match': '"nope"' } });
      expect([other.status, other.body]).toEqual([200, 'n=1']);
    });

    it('compares weakly: W/"v1" matches a stored "v1"', async () => {
      const { app } = await start(
        60,
        counted('/r', (n) => ({ headers: { etag: '"v1"' }, body: `n=${n}` })),
      );
      await app.request('/r');
      const res = await app.request('/r', { headers: { 'if-none-match': 'W/"v1"' } });
      expect(res.status).toBe(304);
    });
  });

  describe('concurrent misses', () => {
    it('run the handler once for 50 simultaneous requests', async () => {
      const route = counted('/r', async (n) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return { body: `n=${n}` };
      });
      const { app } = await start(60, route);
      const responses = await Promise.all(Array.from({ length: 50 }, () => app.request('/r')));
      expect(route.calls).toBe(1);
      expect(new Set(responses.map((r) => r.body))).toEqual(new Set(['n=1']));
      const statuses = responses.map((r) => r.headers['cache-status']);
      expect(statuses.filter((s) => s === 'portcullis; fwd=miss; stored')).toHaveLength(1);
      // On a loaded machine some of the 50 arrive after the first response was stored: those are
      // hits. Either way the handler ran once and nobody got anything but the one response.
      const collapsed = statuses.filter((s) => s === 'portcullis; fwd=miss; collapsed').length;
      const hits = statuses.filter((s) => String(s).startsWith('portcullis; hit')).length;
      expect(collapsed).toBeGreaterThan(0);
      expect(collapsed + hits).toBe(49);
    });

    it('are served individually when the response turns out uncacheable', async () => {
      const route = counted('/r', async (n) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { headers: { 'set-cookie': `sid=${n}` }, body: `n=${n}` };
      });
      const { app } = await start(60, route);
      const responses = await Promise.all(Array.from({ length: 10 }, () => app.request('/r')));
      expect(route.calls).toBe(10);
      expect(new Set(responses.map((r) => r.body)).size).toBe(10);
      for (const res of responses)
        expect(res.headers['set-cookie']).toEqual([`sid=${res.body.slice(2)}`]);
    });
  });

  describe('staleIfError', () => {
    it('serves an expired entry when the handler fails within the window, and not after', async () => {
      const clock = manualClock();
      let fail = false;
      const route = counted('/r', (n) => (fail ? { throwStatus: 500 } : { body: `n=${n}` }));
      const { app } = await start({ ttl: 60, staleIfError: 30, clock }, route);
      await app.request('/r');
      clock.advance(60_000);
      fail = true;
      const stale = await app.request('/r');
      expect([stale.status, stale.body]).toEqual([200, 'n=1']);
      expect(stale.headers['cache-status']).toBe('portcullis; hit; detail=stale');
      expect(stale.headers.age).toBe('60');
      clock.advance(30_000 - 1);
      expect((await app.request('/r')).body).toBe('n=1');
      clock.advance(1);
      expect((await app.request('/r')).status).toBe(500);
    });

    it('replaces an error written with an explicit writeHead too', async () => {
      const clock = manualClock();
      let calls = 0;
      const fail = (res: ServerResponse) => {
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end('<h1>down</h1>');
      };
      const route: Route = {
        method: 'GET',
        path: '/r',
        express: (_req: unknown, res: ServerResponse & { send(b: string): void }) => {
          if (++calls === 1) res.send('n=1');
          else fail(res);
        },
        koa: (ctx: { body: unknown; respond: boolean; res: ServerResponse }) => {
          if (++calls === 1) ctx.body = 'n=1';
          else {
            ctx.respond = false;
            fail(ctx.res);
          }
        },
      };
      const app = await fw.start({
        use: [cache({ ttl: 1, staleIfError: 60, clock })],
        routes: [route],
      });
      await app.request('/r');
      clock.advance(1000);
      const res = await app.request('/r');
      expect([res.status, res.body, res.headers['cache-status']]).toEqual([
        200,
        'n=1',
        'portcullis; hit; detail=stale',
      ]);
      expect(calls).toBe(2);
    });

    it('serves the stale entry to coalesced requests whose shared fetch failed', async () => {
      const clock = manualClock();
      let fail = false;
      const route = counted('/r', async (n) => {
        if (!fail) return { body: `n=${n}` };
        await new Promise((resolve) => setTimeout(resolve, 30));
        return { status: 503, body: 'down' };
      });
      const { app } = await start({ ttl: 60, staleIfError: 60, clock }, route);
      await app.request('/r');
      clock.advance(61_000);
      fail = true;
      const responses = await Promise.all(Array.from({ length: 5 }, () => app.request('/r')));
      expect(responses.map((r) => [r.status, r.body])).toEqual(Array(5).fill([200, 'n=1']));
    });

    it('also replaces a 5xx the handler answers itself (e.g. a 502 from a proxy)', async () => {
      const clock = manualClock();
      let status = 200;
      const route = counted('/r', (n) => ({ status, body: `n=${n}` }));
      const { app } = await start({ ttl: 10, staleIfError: 10, clock }, route);
      await app.request('/r');
      clock.advance(10_000);
      status = 502;
      const res = await app.request('/r');
      expect([res.status, res.body, res.headers['cache-status']]).toEqual([
        200,
        'n=1',
        'portcullis; hit; detail=stale',
      ]);
      status = 200;
      const recovered = await app.request('/r');
      expect([recovered.body, recovered.headers['cache-status']]).toEqual([
        'n=3',
        'portcullis; fwd=miss; stored',
      ]);
    });
  });

  describe('stores', () => {
    it('keeps middlewares sharing one store apart by namespace', async () => {
      const store = memoryCacheStore();
      const first = counted('/r', (n) => ({ body: `first ${n}` }));
      const second = counted('/r', (n) => ({ body: `second ${n}` }));
      const a = await start({ ttl: 60, store }, first);
      const b = await start({ ttl: 60, store }, second);
      await a.app.request('/r');
      expect((await b.app.request('/r')).body).toBe('second 1');
      expect((await a.app.request('/r')).body).toBe('first 1');
      await a.mw.clear();
      expect((await b.app.request('/r')).headers['cache-status']).toMatch(/hit/);
    });

    it('reads the memory store without its Promise, and answers the same through any other store', async () => {
      const memory = memoryCacheStore();
      const other = promisesOnly(memoryCacheStore());
      const promisedReads = new Map<CacheStore, number>();
      for (const store of [memory, other]) {
        const publicGet = store.get;
        store.get = (key) => {
          promisedReads.set(store, (promisedReads.get(store) ?? 0) + 1);
          return publicGet(key);
        };
      }
      for (const store of [memory, other]) {
        const varying = counted('/r', async (n) => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          return { headers: { vary: 'Accept-Language' }, body: `n=${n}` };
        });
        const { app } = await start({ ttl: 60, store }, varying);
        const nb = { headers: { 'accept-language': 'nb' } };
        const en = { headers: { 'accept-language': 'en' } };
        // Concurrent misses still run the handler once, whichever way the store is read.
        const first = await Promise.all([app.request('/r', nb), app.request('/r', nb)]);
        expect(first.map((r) => r.body)).toEqual(['n=1', 'n=1']);
        expect((await app.request('/r', en)).body).toBe('n=2');
        const hitNb = await app.request('/r', nb);
        const hitEn = await app.request('/r', en);
        expect([hitNb.body, hitNb.headers['cache-status']]).toEqual([
          'n=1',
          'portcullis; hit; ttl=60',
        ]);
        expect([hitEn.body, hitEn.headers.vary]).toEqual(['n=2', 'Accept-Language']);
        expect(varying.calls).toBe(2);
      }
      expect(promisedReads.get(memory)).toBeUndefined();
      expect(promisedReads.get(other)).toBeGreaterThanOrEqual(4);
    });

    it('takes a gateway store carrying a cache store as .cache', async () => {
      const store = memoryCacheStore();
      const { app } = await start({ ttl: 60, store: { cache: store } });
      await app.request('/r');
      expect((await store.usage('')).entries).toBe(1);
      expect(() => cache({ store: {} as never })).toThrow(/option "store"/);
    });

    it('fails the request, never shares an entry, when key(req) throws', async () => {
      const app = await fw.start({
        expectsErrors: /^no tenant$/,
        use: [
          cache({
            ttl: 60,
            key: () => {
              throw new Error('no tenant');
            },
          }),
        ],
        routes: [counted().route],
        expressErrorHandler: true,
      });
      expect((await app.request('/r')).status).toBe(500);
    });
  });

  describe('management', () => {
    it('invalidates a path, a path with a query, or by predicate; clears; counts', async () => {
      const { app, mw } = await start(60);
      await app.request('/r?a=1');
      await app.request('/r?a=2');
      await app.request('/r?a=1');
      expect(await mw.stats()).toMatchObject({ hits: 1, misses: 2, entries: 2 });
      expect((await mw.stats()).storedBytes).toBeGreaterThan(0);
      expect(await mw.invalidate('/r?a=1')).toBe(1);
      expect((await app.request('/r?a=1')).body).toBe('n=3');
      expect(await mw.invalidate('/r')).toBe(2);
      expect(await mw.invalidate((path, query) => path === '/r' && query === 'a=1')).toBe(0);
      await app.request('/r?a=1');
      await mw.clear();
      expect(await mw.stats()).toMatchObject({ entries: 0, storedBytes: 0 });
    });

    it('reads the target of invalidate() as a request target: a fragment is neither path nor query', async () => {
      const { app, mw } = await start(60);
      for (const path of ['/r?a=1', '/r?a=2', '/r']) await app.request(path);
      expect(await mw.invalidate('/r?a=1#x')).toBe(1);
      expect(await mw.invalidate('/r#?a=2')).toBe(2);
      expect(await mw.stats()).toMatchObject({ entries: 0 });
    });
  });

  describe('with cors() before it', () => {
    const A = 'https://a.example.com';
    const B = 'https://b.example.com';

    it('gives each allowed origin its own Access-Control-Allow-Origin on hits', async () => {
      const route = counted();
      const app = await fw.start({
        use: [cors({ origin: [A, B] }), cache(60)],
        routes: [route.route],
      });
      await app.request('/r', { headers: { origin: A } });
      const hitA = await app.request('/r', { headers: { origin: A } });
      await app.request('/r', { headers: { origin: B } });
      const hitB = await app.request('/r', { headers: { origin: B } });
      expect(hitA.headers['cache-status']).toMatch(/hit/);
      expect(hitB.headers['cache-status']).toMatch(/hit/);
      expect(hitA.headers['access-control-allow-origin']).toBe(A);
      expect(hitB.headers['access-control-allow-origin']).toBe(B);
      expect(hitB.headers.vary).toBe('Origin');
      const denied = await app.request('/r', { headers: { origin: 'https://evil.example' } });
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('with origin "*" shares one entry between origins', async () => {
      const route = counted();
      const app = await fw.start({ use: [cors(), cache(60)], routes: [route.route] });
      await app.request('/r', { headers: { origin: A } });
      const hit = await app.request('/r', { headers: { origin: B } });
      expect([hit.body, hit.headers['access-control-allow-origin']]).toEqual(['n=1', '*']);
    });
  });
});

describe('cache() options', () => {
  it('accepts a TTL number or options, and refuses bad TTLs with a RangeError naming ttl', () => {
    expect(() => cache(60)).not.toThrow();
    expect(() => cache()).not.toThrow();
    expect(() => cache(-1)).toThrow(RangeError);
    expect(() => cache(Number.POSITIVE_INFINITY)).toThrow(/option "ttl"/);
    expect(() => cache(3601)).toThrow(/option "ttl"/);
    expect(() => cache({ ttl: 7200, maxTtl: 7200 })).not.toThrow();
    expect(() => cache(Number.NaN)).toThrow(/option "ttl"/);
  });

  it('refuses unknown options and bad values, naming them', () => {
    expect(() => cache({ tll: 5 } as never)).toThrow(/unknown option "tll"/);
    expect(() => cache({ statuses: [99] })).toThrow(/option "statuses"/);
    expect(() => cache({ headers: ['bad header'] })).toThrow(/option "headers"/);
    expect(() => cache({ invalidation: 'sometimes' as never })).toThrow(/option "invalidation"/);
    expect(() => cache({ maxEntrySize: 0 })).toThrow(/option "maxEntrySize"/);
    expect(() => cache({ staleIfError: -1 })).toThrow(/option "staleIfError"/);
    expect(() => cache({ query: 'city' as never })).toThrow(/option "query"/);
    expect(() => cache({ namespace: 'a:b' })).toThrow(/option "namespace"/);
    expect(() => cache({ key: 'x' as never })).toThrow(/option "key"/);
  });

  it('does not mutate the options it is given', () => {
    const options = Object.freeze({
      ttl: 10,
      statuses: Object.freeze([200, 404]),
      headers: Object.freeze(['Accept-Language']),
    });
    expect(() => cache(options)).not.toThrow();
  });
});
