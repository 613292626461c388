/**
 * Two app instances whose clocks differ by a second share one quota in Redis: around a period
 * boundary the instance that is behind must not take the counter back to the period that just
 * ended (which reset the quota twice: once for each instance crossing the boundary).
 */

import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usagePlans } from '../../src/middleware/usage-plans/index.js';
import { redisStore } from '../../src/redis.js';
import { request } from '../support/http.js';
import { type ManualClock, manualClock } from '../support/manual-clock.js';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../support/redis.js';
import { type Served, serve } from './serve.js';

const client = await connectRedis();
const KEY = { id: 'skewed', key: 'skewed-key-0123456789-abcdefghijklmnopq', plan: 'daily' };
const LIMIT = 3;
/** A UTC midnight: the end of one daily period and the start of the next. */
const BOUNDARY = Date.UTC(2026, 0, 6);
const SKEW_MS = 1000;

describe.skipIf(client === undefined)('redisStore() quotas on instances with skewed clocks', () => {
  const prefix = uniquePrefix('skew');
  const ahead = manualClock(BOUNDARY - 60_000);
  const behind = manualClock(BOUNDARY - 60_000 - SKEW_MS);
  let served: Served;

  beforeAll(async () => {
    const app = express();
    // Each instance has its own store and clock; both share the Redis keys (same prefix, name).
    const instance = (path: string, clock: ManualClock) => {
      const store = redisStore({ client: client!, prefix, onStateChange: () => undefined });
      app.use(
        path,
        usagePlans({
          name: 'skew',
          plans: { daily: { quota: { limit: LIMIT, period: 'day' } } },
          keys: [KEY],
          store,
          clock,
        }),
      );
    };
    instance('/ahead', ahead);
    instance('/behind', behind);
    app.get(['/ahead', '/behind'], (_req, res) => {
      res.send('ok');
    });
    served = await serve(app);
  });

  afterAll(async () => {
    served?.close();
    if (client === undefined) return;
    await deleteByPrefix(client, prefix);
    client.disconnect();
  });

  const get = async (path: string) =>
    (await request(served.url, path, { headers: { 'x-api-key': KEY.key } })).status;
  const advanceBoth = (ms: number) => {
    ahead.advance(ms);
    behind.advance(ms);
  };

  it('counts the new period once, whichever instance crosses the boundary first (no second reset)', async () => {
    // The period before the boundary, used up through both instances.
    expect([await get('/ahead'), await get('/behind'), await get('/ahead')]).toEqual([
      200, 200, 200,
    ]);
    expect(await get('/behind')).toBe(429);
    // `ahead` is past midnight, `behind` 800 ms before it.
    advanceBoth(60_000 + 200);
    const around: number[] = [];
    for (let i = 0; i < 3; i++) around.push(await get('/ahead'), await get('/behind'));
    // Both instances past midnight now.
    advanceBoth(SKEW_MS);
    const after: number[] = [];
    for (let i = 0; i < 3; i++) after.push(await get('/ahead'), await get('/behind'));
    const admitted = [...around, ...after].filter((status) => status === 200).length;
    expect(admitted).toBe(LIMIT);
    expect(around).toEqual([200, 200, 200, 429, 429, 429]);
  });

  it('tells the instance that is behind when the period it was counted in resets', async () => {
    behind.set(BOUNDARY - 800);
    const res = await request(served.url, '/behind', { headers: { 'x-api-key': KEY.key } });
    expect(res.status).toBe(429);
    // The new day's reset, nearly 24 h away, not the 0.8 s left of the day this clock is in.
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(86_000);
  });
});
