/**
 * Redis stops in the middle of a run: paused (SIGSTOP: connections stay open, commands wait, then
 * run) for longer than the store's `timeoutMs`, or killed for 3 s and restarted: no request
 * answered without Redis (503, insurance) is counted there afterwards, and once Redis is back the
 * counts are exact again (the client reconnects, the store's circuit closes, nothing is replayed).
 * Store options at their defaults.
 */

import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { throttle } from '../../src/middleware/throttle/index.js';
import { usagePlans } from '../../src/middleware/usage-plans/index.js';
import { redisStore, type StoreState } from '../../src/redis.js';
import { request } from '../support/http.js';
import { hasRedisServer, type OwnRedis, startOwnRedis } from '../support/redis-server.js';
import { serve } from './serve.js';

const available = hasRedisServer();
if (!available && process.env.REQUIRE_REDIS === '1')
  throw new Error('REQUIRE_REDIS=1 but redis-server is not installed');

const KEY = { id: 'faults', key: 'faults-key-0123456789-abcdefghijklmnopq', plan: 'basic' };
const QUOTA = 40;
const BURST = 20;
const OUTAGE_MS = 3000;
/** Longer than the default `timeoutMs` (5 s): the store gives up on the calls sent meanwhile. */
const PAUSE_MS = 6000;

describe.skipIf(!available)('redisStore() when Redis stops mid-run', () => {
  let redis: OwnRedis;
  let client: Redis;
  let url: string;
  let close: () => void;
  let plans: ReturnType<typeof usagePlans>;
  const states: StoreState[] = [];

  beforeAll(async () => {
    redis = await startOwnRedis();
    client = new Redis(redis.url, { retryStrategy: () => 100 });
    client.on('error', () => undefined);
    await client.ping();
    const store = redisStore({ client, onStateChange: (state) => states.push(state) });
    plans = usagePlans({
      plans: { basic: { quota: { limit: QUOTA, period: 'day' } } },
      keys: [KEY],
      store,
    });
    const app = express();
    app.use('/throttled', throttle({ rate: 0.001, burst: BURST, key: 'global', store }));
    app.use('/probe', throttle({ rate: 1000, burst: 1000, key: () => 'probe', store }));
    app.use('/quota', plans);
    app.get(['/throttled', '/probe', '/quota'], (_req, res) => {
      res.send('ok');
    });
    ({ url, close } = await serve(app));
  }, 30_000);

  afterEach(() => redis.resume());

  afterAll(async () => {
    close?.();
    client?.disconnect();
    await redis?.stop();
  });

  const get = (path: string) => request(url, path, { headers: { 'x-api-key': KEY.key } });

  /** Status counts of `count` requests sent at once. */
  async function burst(path: string, count: number): Promise<Record<number, number>> {
    const responses = await Promise.all(Array.from({ length: count }, () => get(path)));
    const byStatus: Record<number, number> = {};
    for (const { status } of responses) byStatus[status] = (byStatus[status] ?? 0) + 1;
    return byStatus;
  }

  /** Keeps `workers` requests to `path` in flight until `stop()`; resolves every status seen. */
  function stream(path: string, workers: number) {
    let running = true;
    const statuses: number[] = [];
    const loops = Array.from({ length: workers }, async () => {
      while (running) statuses.push((await get(path)).status);
    });
    return {
      stop: async () => {
        running = false;
        await Promise.all(loops);
        return statuses;
      },
    };
  }

  /** Waits until a request is decided by Redis again (the store's circuit closed). */
  async function untilRedisDecides() {
    await expect
      .poll(async () => (await get('/probe')).headers.ratelimit !== undefined && states.at(-1), {
        timeout: 15_000,
        interval: 100,
      })
      .toBe('up');
  }

  /** Requests the quota counted in Redis today (what `usage()` reports). */
  async function countedToday(): Promise<number> {
    const report = await plans.usage(KEY.id);
    return report.items[KEY.id]!.at(-1)![0];
  }

  it('paused past the timeout: requests answered 503 meanwhile are never counted when it resumes, and the quota stays exact', async () => {
    for (let i = 0; i < 10; i++) expect((await get('/quota')).status).toBe(200);
    redis.pause();
    const during = stream('/quota', 10);
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    redis.resume();
    const statuses = await during.stop();
    expect(statuses.filter((status) => status === 503).length).toBeGreaterThan(0);
    await untilRedisDecides();
    const admitted = 10 + statuses.filter((status) => status === 200).length;
    // What Redis ran after the resume (the calls that waited) changed nothing.
    expect(await countedToday()).toBe(admitted);
    expect(await burst('/quota', 300)).toEqual({
      200: QUOTA - admitted,
      429: 300 - QUOTA + admitted,
    });
    expect(await countedToday()).toBe(QUOTA);
  }, 40_000);

  it('killed for 3 s and restarted empty: nothing in flight or queued is replayed, the bucket is exact', async () => {
    const during = stream('/throttled', 10);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    // Stopped before the restart, so that no request of the run is decided by the new Redis.
    expect(await during.stop()).not.toContain(503);
    await redis.start();
    await untilRedisDecides();
    // The restarted Redis holds a full bucket: a replayed call would have taken tokens from it.
    expect(await burst('/throttled', 300)).toEqual({ 200: BURST, 429: 300 - BURST });
  }, 30_000);
});
