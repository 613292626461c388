/**
 * Each decision is one Redis round trip, and a usage-plan request is one in all: the commands
 * Redis runs are counted with INFO commandstats, the round trips (commands a client sent, not run
 * by a script) with MONITOR, on a redis-server of the test's own (so no other test's traffic is
 * counted). Also checks the TTLs that keep Redis bounded.
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
import { serve } from './serve.js';

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
  delete calls.echo;
  for (const name of Object.keys(calls)) if (name.startsWith('config')) delete calls[name];
  return calls;
}

/**
 * Commands sent by clients (round trips), as MONITOR sees them: not those a script runs, nor the
 * test's own INFO, CONFIG and ECHO.
 */
async function watchRoundTrips(client: Redis) {
  const monitor = await client.monitor();
  const sent: string[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua') return;
    const name = args[0]!.toLowerCase();
    if (!['info', 'config', 'echo'].includes(name)) sent.push(name);
  });
  return {
    /** Round trips since the last call, once MONITOR has caught up. */
    async take(): Promise<number> {
      const marker = `caught-up-${Math.random()}`;
      let seen = false;
      const onMonitor = (_time: string, args: string[]) => {
        if (args[1] === marker) seen = true;
      };
      monitor.on('monitor', onMonitor);
      await client.echo(marker);
      await expect.poll(() => seen, { timeout: 5000, interval: 5 }).toBe(true);
      monitor.off('monitor', onMonitor);
      return sent.splice(0).length;
    },
    close: () => monitor.disconnect(),
  };
}

describe.skipIf(!available)('redisStore() round trips and expiry', () => {
  let redis: OwnRedis;
  let client: Redis;
  let url: string;
  let close: () => void;
  let trips: Awaited<ReturnType<typeof watchRoundTrips>>;

  beforeAll(async () => {
    redis = await startOwnRedis();
    client = new Redis(redis.url);
    const store = redisStore({ client });
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
    ({ url, close } = await serve(app));
    // Load the scripts and the key once, then count from zero.
    await request(url, '/throttled');
    await request(url, '/api', { headers: { 'x-api-key': KEY.key } });
    trips = await watchRoundTrips(client);
  }, 30_000);

  afterAll(async () => {
    trips?.close();
    close?.();
    client?.disconnect();
    await redis?.stop();
  });

  const reset = async () => {
    await trips.take();
    await client.config('RESETSTAT');
  };

  it('throttle: one EVALSHA per request, nothing else', async () => {
    await reset();
    for (let i = 0; i < 20; i++) expect((await request(url, '/throttled')).status).toBe(200);
    expect(await trips.take()).toBe(20);
    // INFO counts the commands a script runs too: the deadline's TIME and GCRA's GET and SET
    // happen inside the EVALSHA.
    expect(await commandCalls(client)).toEqual({ evalsha: 20, time: 20, get: 20, set: 20 });
  });

  it('usage plans: one EVALSHA per request for a known key, nothing else', async () => {
    await reset();
    for (let i = 0; i < 10; i++) {
      expect((await request(url, '/api', { headers: { 'x-api-key': KEY.key } })).status).toBe(200);
    }
    expect(await trips.take()).toBe(10);
    // The rest runs inside the one script: deadline (TIME), key check (GET), bucket (GET, SET),
    // quota + usage (HMGET, INCR, PEXPIRE, HSET, PEXPIRE).
    expect(await commandCalls(client)).toEqual({
      evalsha: 10,
      time: 10,
      get: 20,
      set: 10,
      hmget: 10,
      hset: 10,
      incr: 10,
      pexpire: 20,
    });
  });

  it('usage plans: a key disabled through one instance is refused on the next request by another', async () => {
    const key = { id: 'shared', key: 'shared-instances-key-0123456789-abcdef', plan: 'basic' };
    const plans = {
      basic: {
        throttle: { rate: 100, burst: 1000 },
        quota: { limit: 1000, period: 'day' as const },
      },
      other: { quota: { limit: 7, period: 'day' as const } },
    };
    const store = redisStore({ client, prefix: 'instances:' });
    // Two middlewares on one store, as two app instances sharing Redis: each has its own cache.
    const first = usagePlans({ plans, keys: [key], store });
    const second = usagePlans({ plans, store });
    const app = express();
    app.use('/first', first);
    app.use('/second', second);
    app.get(['/first', '/second'], (_req, res) => {
      res.send('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const get = (path: string) => request(base, path, { headers: { 'x-api-key': key.key } });
    try {
      expect((await get('/first')).status).toBe(200);
      await reset();
      expect((await get('/second')).status).toBe(200);
      // A key this instance has not seen yet: the lookup, then the one-step decision.
      expect(await trips.take()).toBe(2);
      await first.disableKey('shared');
      await reset();
      expect((await get('/second')).status).toBe(403);
      // The cached record was re-checked inside the one script, which found the change.
      expect(await trips.take()).toBe(1);
      expect((await get('/first')).status).toBe(403);
      await first.enableKey('shared');
      expect((await get('/second')).status).toBe(200);
      await first.setPlan('shared', 'other');
      await reset();
      const moved = await get('/second');
      expect(moved.status).toBe(200);
      expect(moved.headers['ratelimit-policy']).toBe('"other-quota";q=7;w=86400');
      // The step found the record on another plan, changed nothing, and ran again with that plan.
      expect(await trips.take()).toBe(2);
      await first.deleteKey('shared');
      expect((await get('/second')).status).toBe(403);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('cache: a miss is two GETs and one EVALSHA, a hit one GET', async () => {
    // Loads the write script (ioredis sends EVAL once, after Redis answers NOSCRIPT).
    await request(url, '/cached?warm');
    await reset();
    expect((await request(url, '/cached')).headers['cache-status']).toBe(
      'portcullis; fwd=miss; stored',
    );
    // The entry's GET, the namespace's invalidation generation (GET), then the write, checked
    // against that generation in one script (its GET and SET run inside it).
    expect(await trips.take()).toBe(3);
    expect(await commandCalls(client)).toEqual({ get: 3, set: 1, evalsha: 1 });
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
    expect(bucketTtl).toBeGreaterThan(5000);
    expect(bucketTtl).toBeLessThanOrEqual(6000);
    expect(Math.abs(quotaTtl - (startOfDay + DAY - now))).toBeLessThan(2000);
    expect(Math.abs(usageTtl - (startOfDay + 90 * DAY - now))).toBeLessThan(2000);
  });
});
