/**
 * Each decision is one Redis round trip: counted with INFO commandstats on a redis-server of the
 * test's own (so no other test's traffic is counted). Also checks the TTLs that keep Redis bounded.
 */

import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cache } from '../../src/middleware/cache/index.js';
import { throttle } from '../../src/middleware/throttle/index.js';
import { usagePlans } from '../../src/middleware/usage-plans/index.js';
import { redisStore } from '../../src/redis.js';
import { request } from '../support/http.js';
import { hasRedisServer, type OwnRedis, startOwnRedis } from '../support/redis-server.js';

const available = hasRedisServer();
const KEY = { id: 'rt', key: 'round-trip-key-0123456789-abcdefghijkl', plan: 'basic' };
const DAY = 86_400_000;

/** Calls per command since the last CONFIG RESETSTAT. */
async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const info = await client.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm))
    calls[match[1]!] = Number(match[2]);
  delete calls.info;
  for (const name of Object.keys(calls)) if (name.startsWith('config')) delete calls[name];
  return calls;
}

describe.skipIf(!available)('redisStore() round trips and expiry', () => {
  let redis: OwnRedis;
  let client: Redis;
  let url: string;
  let close: () => void;

  beforeAll(async () => {
    redis = await startOwnRedis();
    client = new Redis(redis.url);
    const store = redisStore({ client, timeoutMs: 1000 });
    const app = express();
    app.use('/throttled', throttle({ rate: 100, burst: 1000, key: 'global', store }));
    app.use(
      '/api',
      usagePlans({
        plans: {
          basic: { throttle: { rate: 100, burst: 1000 }, quota: { limit: 1000, period: 'day' } },
        },
        keys: [KEY],
        store,
      }),
    );
    app.use('/cached', cache({ ttl: 60, store }));
    app.get(['/throttled', '/api', '/cached'], (_req, res) => {
      res.send('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    close = () => {
      server.closeAllConnections();
      server.close();
    };
    // Load the scripts and the key once, then count from zero.
    await request(url, '/throttled');
    await request(url, '/api', { headers: { 'x-api-key': KEY.key } });
  }, 30_000);

  afterAll(async () => {
    close?.();
    client?.disconnect();
    await redis?.stop();
  });

  const reset = () => client.config('RESETSTAT');

  it('throttle: one EVALSHA per request, nothing else', async () => {
    await reset();
    for (let i = 0; i < 20; i++) expect((await request(url, '/throttled')).status).toBe(200);
    // INFO counts the commands a script runs too: GCRA's GET and SET happen inside the EVALSHA.
    expect(await commandCalls(client)).toEqual({ evalsha: 20, get: 20, set: 20 });
  });

  it('usage plans: one EVALSHA per decision (key lookup, plan bucket, quota + usage)', async () => {
    await reset();
    for (let i = 0; i < 10; i++) {
      expect((await request(url, '/api', { headers: { 'x-api-key': KEY.key } })).status).toBe(200);
    }
    // Three scripts per request and no other command from the client; the rest runs inside them:
    // key lookup (GET, GET), bucket (GET, SET), quota + usage (HMGET, HSET, PEXPIRE, INCR, PEXPIRE).
    expect(await commandCalls(client)).toEqual({
      evalsha: 30,
      get: 30,
      set: 10,
      hmget: 10,
      hset: 10,
      incr: 10,
      pexpire: 20,
    });
  });

  it('cache: a miss is one GET and one SET, a hit one GET', async () => {
    await reset();
    expect((await request(url, '/cached')).headers['cache-status']).toBe(
      'portcullis; fwd=miss; stored',
    );
    expect(await commandCalls(client)).toEqual({ get: 1, set: 1 });
    await reset();
    expect((await request(url, '/cached')).headers['cache-status']).toMatch(/hit/);
    expect(await commandCalls(client)).toEqual({ get: 1 });
  });

  it('expires what it writes: buckets when full, quota counters at period end, usage days after retention', async () => {
    const store = redisStore({ client, prefix: 'ttl:', usageRetentionDays: 90 });
    const now = Date.now();
    await store.consumeBucket('b', { emissionIntervalMs: 1000, burst: 10, cost: 5, now });
    const startOfDay = Math.floor(now / DAY) * DAY;
    await store.consumeQuota('q', {
      limit: 5,
      periodStart: startOfDay,
      periodEnd: startOfDay + DAY,
      now,
    });
    const bucketTtl = await client.pttl('ttl:b:{b}');
    const quotaTtl = await client.pttl('ttl:q:{q}');
    const usageTtl = await client.pttl(`ttl:u:{q}:${Math.floor(now / DAY)}`);
    expect(bucketTtl).toBeGreaterThan(4000);
    expect(bucketTtl).toBeLessThanOrEqual(5001);
    expect(Math.abs(quotaTtl - (startOfDay + DAY - now))).toBeLessThan(2000);
    expect(Math.abs(usageTtl - (startOfDay + 90 * DAY - now))).toBeLessThan(2000);
  });
});
