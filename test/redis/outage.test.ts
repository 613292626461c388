/**
 * Redis stops and comes back during a run (a redis-server of the test's own, killed and
 * restarted): no request hangs or fails unexpectedly, the throttle falls back to its in-process
 * insurance bucket, the quota fails closed (503), the cache serves from the handler, the state
 * change is reported once each way, and everything returns to Redis when it is back.
 */

import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cache } from '../../src/middleware/cache/index.js';
import { throttle } from '../../src/middleware/throttle/index.js';
import { usagePlans } from '../../src/middleware/usage-plans/index.js';
import { redisStore, type StoreState } from '../../src/redis.js';
import { request } from '../support/http.js';
import { hasRedisServer, type OwnRedis, startOwnRedis } from '../support/redis-server.js';
import { serve } from './serve.js';

const available = hasRedisServer();
if (!available && process.env.REQUIRE_REDIS === '1')
  throw new Error('REQUIRE_REDIS=1 but redis-server is not installed');

const KEY = { id: 'outage', key: 'outage-key-0123456789-abcdefghijklmnop', plan: 'basic' };

describe.skipIf(!available)('redisStore() when Redis goes away and comes back', () => {
  let redis: OwnRedis;
  let client: Redis;
  let url: string;
  let close: () => void;
  let handlerRuns = 0;
  const states: StoreState[] = [];
  let plansMw: ReturnType<typeof usagePlans>;

  beforeAll(async () => {
    redis = await startOwnRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    await client.ping();
    const store = redisStore({ client, onStateChange: (state) => states.push(state) });
    plansMw = usagePlans({
      plans: { basic: { quota: { limit: 1000, period: 'day' } } },
      keys: [KEY],
      store,
    });
    const app = express();
    app.use('/throttled', throttle({ rate: 0.001, burst: 3, key: 'global', store }));
    app.use('/quota', plansMw);
    // Every request here carries the key; this route has no usage plans to check it.
    app.use('/cached', cache({ ttl: 60, store, apiKeyHeader: false }));
    app.get(['/throttled', '/quota', '/cached'], (_req, res) => {
      handlerRuns++;
      res.send('ok');
    });
    ({ url, close } = await serve(app));
  }, 30_000);

  afterAll(async () => {
    close?.();
    client?.disconnect();
    await redis?.stop();
  });

  const get = (path: string) => request(url, path, { headers: { 'x-api-key': KEY.key } });
  const timed = async (path: string) => {
    const started = performance.now();
    const res = await get(path);
    return {
      status: res.status,
      ms: performance.now() - started,
      cacheStatus: res.headers['cache-status'],
    };
  };

  it('works on Redis while it is up', async () => {
    expect((await get('/quota')).status).toBe(200);
    expect((await get('/cached')).headers['cache-status']).toBe('portcullis; fwd=miss; stored');
    expect((await get('/cached')).headers['cache-status']).toMatch(/^portcullis; hit/);
    expect((await get('/throttled')).status).toBe(200);
    expect(states).toEqual([]);
  });

  it('degrades without hanging while Redis is down, and says so once', async () => {
    await redis.stop();
    const results = [];
    for (let i = 0; i < 5; i++) {
      results.push(await timed('/throttled'), await timed('/quota'), await timed('/cached'));
    }
    for (const result of results) expect(result.ms).toBeLessThan(1000);
    const throttled = results.filter((_, i) => i % 3 === 0).map((r) => r.status);
    // The insurance bucket (burst 3, in this process) takes over: limits still hold.
    expect(throttled).toEqual([200, 200, 200, 429, 429]);
    // The quota cannot be counted: fail closed.
    expect(results.filter((_, i) => i % 3 === 1).map((r) => r.status)).toEqual([
      503, 503, 503, 503, 503,
    ]);
    // The cache cannot be read: every request is served by the handler.
    expect(results.filter((_, i) => i % 3 === 2).every((r) => r.status === 200)).toBe(true);
    expect(states).toEqual(['down']);
  });

  it('returns to Redis once it is back (keys re-imported: this Redis keeps nothing on disk)', async () => {
    await redis.start();
    // Wait for the client alone: a request sent while it reconnects could already store the
    // cache entry that the miss below expects to be absent.
    await expect.poll(() => client.status, { timeout: 5000, interval: 50 }).toBe('ready');
    await plansMw.importKeys([KEY]);
    expect((await get('/quota')).status).toBe(200);
    expect((await get('/cached')).headers['cache-status']).toBe('portcullis; fwd=miss; stored');
    expect((await get('/cached')).headers['cache-status']).toMatch(/^portcullis; hit/);
    // The restarted Redis has an empty (full) bucket again.
    expect((await get('/throttled')).status).toBe(200);
    expect(states).toEqual(['down', 'up']);
    expect(handlerRuns).toBeGreaterThan(0);
  });
});
