/**
 * Both orders of every pair of the README's quick-start middlewares (cors, usagePlans, throttle,
 * cache, proxy) on every framework: each stack answers correctly — a keyless caller is refused
 * whenever usage plans can run, never gets a key holder's response, hits keep their CORS headers
 * and never replay another request's RateLimit fields.
 */

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cache } from '../../src/middleware/cache/index.js';
import { cors } from '../../src/middleware/cors/index.js';
import { proxy } from '../../src/middleware/proxy/index.js';
import { throttle } from '../../src/middleware/throttle/index.js';
import { usagePlans } from '../../src/middleware/usage-plans/index.js';
import { describeEachFramework, type Route } from '../support/frameworks.js';
import type { TestResponse } from '../support/http.js';
import { manualClock } from '../support/manual-clock.js';
import { startEchoUpstream, type Upstream } from '../support/upstream.js';

const ORIGIN = 'https://app.example.com';
const KEY_A = 'alice-key-0123456789abcdef';
const KEY_B = 'bob-key-0123456789abcdef00';

const PIECES = ['cors', 'usagePlans', 'throttle', 'cache', 'proxy'] as const;
type Piece = (typeof PIECES)[number];

let upstream: Upstream;
const warnings: unknown[] = [];
beforeAll(async () => {
  upstream = await startEchoUpstream();
  vi.spyOn(process, 'emitWarning').mockImplementation((warning, options) => {
    warnings.push([warning, options]);
  });
});
afterAll(async () => {
  await upstream.close();
});

function create(piece: Piece) {
  const clock = manualClock();
  switch (piece) {
    case 'cors':
      return cors({ origin: [ORIGIN], credentials: true });
    case 'usagePlans':
      return usagePlans({
        plans: { free: { throttle: { rate: 100, burst: 100 } }, pro: {} },
        keys: [
          { id: 'alice', key: KEY_A, plan: 'free' },
          { id: 'bob', key: KEY_B, plan: 'pro' },
        ],
        clock,
      });
    case 'throttle':
      return throttle({ rate: 100, burst: 200, clock });
    case 'cache':
      return cache({ ttl: 300, clock });
    case 'proxy':
      return proxy(upstream.url);
  }
}

/** Every ordered pair of distinct pieces. */
function orders(): Array<[Piece, Piece]> {
  const out: Array<[Piece, Piece]> = [];
  for (const first of PIECES)
    for (const second of PIECES) if (first !== second) out.push([first, second]);
  return out;
}

const isHit = (res: TestResponse) => String(res.headers['cache-status'] ?? '').includes('; hit');

describeEachFramework('the quick-start middlewares in either order', (fw) => {
  for (const stack of orders()) {
    it(`${stack[0]} before ${stack[1]}`, async () => {
      const proxied = stack.includes('proxy');
      // Pieces after the proxy never run: it is the endpoint of the paths it serves.
      const end = proxied ? stack.indexOf('proxy') : stack.length;
      const runs = (piece: Piece) => stack.includes(piece) && stack.indexOf(piece) <= end;
      const before = (a: Piece, b: Piece) => stack.indexOf(a) < stack.indexOf(b);
      let calls = 0;
      const route: Route = {
        method: 'GET',
        path: '/r',
        reply: () => ({ body: `response ${++calls}` }),
      };
      const app = await fw.start({ use: stack.map(create), routes: proxied ? [] : [route] });
      const upstreamBefore = upstream.hits.get('/r') ?? 0;
      const ask = (key?: string) =>
        app.request('/r', {
          headers: { origin: ORIGIN, ...(key === undefined ? {} : { 'x-api-key': key }) },
        });

      const a1 = await ask(KEY_A);
      const anonymous1 = await ask();
      const a2 = await ask(KEY_A);
      const b = await ask(KEY_B);
      const anonymous2 = await ask();
      const backendCalls = () =>
        proxied ? (upstream.hits.get('/r') ?? 0) - upstreamBefore : calls;

      // Usage plans refuse a keyless caller whenever they can run, whatever the cache holds.
      for (const res of [anonymous1, anonymous2])
        expect(res.status).toBe(runs('usagePlans') ? 403 : 200);
      for (const res of [a1, a2, b]) expect(res.status).toBe(200);
      // A keyless caller never gets a response made for a key holder.
      for (const res of [anonymous1, anonymous2]) expect(res.body).not.toContain(KEY_A);

      const cached = runs('cache');
      const shared = cached && runs('usagePlans') && before('usagePlans', 'cache');
      // Callers admitted by usage plans before the cache share its entries (API Gateway's
      // cache); a key the cache cannot see checked bypasses it.
      expect(isHit(a2)).toBe(shared);
      expect(isHit(b)).toBe(shared);
      if (cached && !shared) {
        for (const res of [a1, a2, b])
          expect(res.headers['cache-status']).toBe('portcullis; fwd=bypass');
      }
      expect(isHit(anonymous2)).toBe(cached && !runs('usagePlans'));
      expect(backendCalls()).toBe((shared ? 1 : 3) + (runs('usagePlans') ? 0 : cached ? 1 : 2));

      if (runs('cors')) {
        // Every answer the browser may read carries CORS, hits included.
        for (const res of [a1, a2, b])
          expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
        const refusalsReadable = !runs('usagePlans') || before('cors', 'usagePlans');
        for (const res of [anonymous1, anonymous2])
          expect(res.headers['access-control-allow-origin']).toBe(
            refusalsReadable ? ORIGIN : undefined,
          );
      }

      // A hit never replays the RateLimit fields of the response it was stored from.
      const pairs: Array<[TestResponse, TestResponse]> = [
        [a1, a2],
        [a1, b],
        [anonymous1, anonymous2],
      ];
      for (const [miss, hit] of pairs) {
        if (isHit(hit) && hit.headers.ratelimit !== undefined)
          expect(hit.headers.ratelimit).not.toBe(miss.headers.ratelimit);
      }
    });
  }

  describe('a cache with cors mounted after it', () => {
    it('replays the CORS headers of each origin on hits, never another origin’s', async () => {
      const app = await fw.start({
        use: [create('cache'), create('cors')],
        routes: [{ method: 'GET', path: '/r', reply: { body: 'public' } }],
      });
      const from = (origin: string) => app.request('/r', { headers: { origin } });
      await from(ORIGIN);
      const hit = await from(ORIGIN);
      const other = await from('https://evil.example');
      expect(isHit(hit)).toBe(true);
      expect(hit.headers['access-control-allow-origin']).toBe(ORIGIN);
      expect(hit.headers['access-control-allow-credentials']).toBe('true');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      expect(other.headers.vary).toMatch(/origin/i);
    });
  });

  describe('a cache with usage plans mounted after it', () => {
    it('never serves a keyless caller, whatever it stored', async () => {
      const app = await fw.start({
        use: [create('cache'), create('usagePlans')],
        routes: [{ method: 'GET', path: '/r', reply: { body: 'members only' } }],
      });
      await app.request('/r', { headers: { 'x-api-key': KEY_A } });
      const anonymous = await app.request('/r');
      expect([anonymous.status, anonymous.body]).toEqual([403, '{"message":"Forbidden"}']);
    });
  });
});

describe('usage plans mounted after a cache', () => {
  it('are named in one warning for the whole process, with the order to use', () => {
    const ours = warnings.filter((w) => JSON.stringify(w).includes('PORTCULLIS_CACHE_ORDER'));
    expect(ours).toHaveLength(1);
    expect(String((ours[0] as unknown[])[0])).toMatch(
      /usagePlans\(\) runs after cache\(\).*mount usagePlans\(\) before cache\(\)/,
    );
  });
});
