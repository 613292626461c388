/**
 * A whole Redis Cluster (three masters of the test's own, AOF on so that a killed node keeps
 * what it acknowledged) down and back, on an ioredis Cluster client: usage plans and a throttle
 * started while every node is down serve normally within seconds of the cluster coming up (the
 * keys option is imported then), and when every node is killed for 3 s mid-run, no admitted
 * request is lost and no request answered without Redis is counted there, but for a call Redis
 * ran at the very instant it died (its reply lost): the counts then go on exactly from there.
 * Store options at their defaults but `timeoutMs` (shorter, so that the requests made while the
 * cluster is down answer quickly).
 */

import express from 'express';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { throttle } from '../../src/middleware/throttle/index.js';
import { usagePlans } from '../../src/middleware/usage-plans/index.js';
import { type RedisStore, redisStore, type StoreState } from '../../src/redis.js';
import { request } from '../support/http.js';
import { canStartCluster, type OwnCluster, startCluster } from '../support/redis-cluster.js';
import { type Served, serve } from './serve.js';

const available = canStartCluster();
const KEY = { id: 'down', key: 'cluster-down-key-0123456789-abcdefghijk', plan: 'basic' };
const QUOTA = 60;
const BURST = 40;
/** Pause of each streaming worker between two requests (so that some of each budget is left). */
const PACE_MS = 50;
const OUTAGE_MS = 3000;
/** How soon after the cluster is up again the first request must be served. */
const RECOVERY_MS = 5000;
/** Requests to each route kept going through the outage. */
const WORKERS = 2;
/** The throttle's rate, per second: nothing refills during the test. */
const RATE = 0.001;

describe.skipIf(!available)('redisStore() on a Redis Cluster that is down', () => {
  let cluster: OwnCluster;
  let client: Cluster;
  let served: Served;
  let plans: ReturnType<typeof usagePlans>;
  let strict: RedisStore;
  const states: StoreState[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, persist: true });
    await cluster.killAll();
    client = cluster.client();
    client.on('error', () => undefined);
    const store = redisStore({
      client,
      prefix: 'cluster-down:',
      timeoutMs: 500,
      onStateChange: (state) => states.push(state),
    });
    plans = usagePlans({
      plans: { basic: { quota: { limit: QUOTA, period: 'day' } } },
      keys: [KEY],
      store,
    });
    // Without insurance and failing closed: every answer is Redis's (200, 429) or a 503, so the
    // tokens Redis must have left are known from the statuses alone.
    strict = redisStore({
      client,
      prefix: 'cluster-down:',
      timeoutMs: 500,
      insurance: false,
      onStateChange: () => undefined,
    });
    const app = express();
    app.use('/throttled', throttle({ rate: RATE, burst: BURST, key: 'global', store }));
    app.use(
      '/strict',
      throttle({
        rate: RATE,
        burst: BURST,
        key: () => 'strict',
        store: strict,
        onStoreError: 'closed',
      }),
    );
    app.use('/probe', throttle({ rate: 1000, burst: 1000, key: () => 'probe', store }));
    app.use('/quota', plans);
    app.get(['/throttled', '/strict', '/probe', '/quota'], (_req, res) => {
      res.send('ok');
    });
    // Creating a cluster takes seconds, many more on a loaded machine.
    served = await serve(app);
  }, 60_000);

  afterAll(async () => {
    served?.close();
    client?.disconnect();
    await cluster?.stop();
  });

  const get = (path: string) => request(served.url, path, { headers: { 'x-api-key': KEY.key } });

  /** Status counts of `count` requests sent at once. */
  async function burst(path: string, count: number): Promise<Record<number, number>> {
    const responses = await Promise.all(Array.from({ length: count }, () => get(path)));
    const byStatus: Record<number, number> = {};
    for (const { status } of responses) byStatus[status] = (byStatus[status] ?? 0) + 1;
    return byStatus;
  }

  /** Keeps `workers` paced requests to `path` going until `stop()`; resolves every status seen. */
  function stream(path: string, workers: number) {
    let running = true;
    const statuses: number[] = [];
    const loops = Array.from({ length: workers }, async () => {
      while (running) {
        statuses.push((await get(path)).status);
        await new Promise((resolve) => setTimeout(resolve, PACE_MS));
      }
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

  /** Tokens left in the strict bucket in Redis (a cost-0 look that takes none). */
  async function tokensLeft(): Promise<number> {
    const params = { emissionIntervalMs: 1000 / RATE, burst: BURST, cost: 0, now: Date.now() };
    // The throttle's bucket key: its name, then the key.
    return (await strict.consumeBucket('throttle:strict', params)).remaining;
  }

  /** Requests the quota counted in Redis today (what `usage()` reports). */
  async function countedToday(): Promise<number> {
    const report = await plans.usage(KEY.id);
    return report.items[KEY.id]!.at(-1)![0];
  }

  it('down at start: the quota answers 503 and the throttle its insurance, then the first request within seconds of the cluster coming up is served', async () => {
    for (let i = 0; i < 3; i++) {
      const down = await get('/quota');
      expect(down.status).toBe(503);
      expect(down.body).toBe('{"message":"Service Unavailable"}');
    }
    // Not a key the quota knows yet (the import waits for Redis): only the throttle runs here.
    expect((await get('/throttled')).status).toBe(200);

    await cluster.startAll();
    const up = performance.now();
    await expect
      .poll(async () => (await get('/quota')).status, { timeout: RECOVERY_MS, interval: 50 })
      .toBe(200);
    const recoveredMs = performance.now() - up;
    console.info(
      `[cluster down at start] first 200 ${Math.round(recoveredMs)} ms after the cluster was up`,
    );
    expect(recoveredMs).toBeLessThan(RECOVERY_MS);
    await untilRedisDecides();
    expect(await countedToday()).toBe(1);
  }, 30_000);

  it('every node killed for 3 s mid-run: no 200 is lost, no 503 counted but one whose reply the kill cut off, and the counts go on exactly', async () => {
    // Five tokens of the bucket and four more quota requests, taken in Redis before the outage.
    for (let i = 0; i < 5; i++) {
      const res = await get('/strict');
      expect(res.status).toBe(200);
      expect(res.headers.ratelimit).toBeDefined();
    }
    for (let i = 0; i < 4; i++) expect((await get('/quota')).status).toBe(200);

    const throttled = stream('/strict', WORKERS);
    const quota = stream('/quota', WORKERS);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await cluster.killAll();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    // Stopped before the restart, so that no request of the run is decided by the restarted cluster.
    const [duringThrottle, duringQuota] = await Promise.all([throttled.stop(), quota.stop()]);
    expect(duringQuota).toContain(503);
    expect(duringThrottle).toContain(503);

    await cluster.startAll();
    await untilRedisDecides();
    // Every quota request answered 200 was counted; of those answered 503, only a call Redis ran
    // (and wrote to disk) at the instant it was killed, whose reply was lost, can be: the one
    // window the store leaves (README), at most one per request in flight.
    const admitted = 5 + duringQuota.filter((status) => status === 200).length;
    const counted = await countedToday();
    expect(counted - admitted).toBeGreaterThanOrEqual(0);
    expect(counted - admitted).toBeLessThanOrEqual(WORKERS);
    // From there, exact: the quota admits what it has left, no more.
    expect(counted).toBeLessThan(QUOTA);
    expect(await burst('/quota', 150)).toEqual({
      200: QUOTA - counted,
      429: 150 - QUOTA + counted,
    });
    expect(await countedToday()).toBe(QUOTA);

    // Likewise the bucket: the tokens taken before the outage and by the 200s of the run (and
    // by at most one lost reply per request in flight), no more.
    const taken = 5 + duringThrottle.filter((status) => status === 200).length;
    const left = await tokensLeft();
    expect(BURST - taken - left).toBeGreaterThanOrEqual(0);
    expect(BURST - taken - left).toBeLessThanOrEqual(WORKERS);
    expect(left).toBeGreaterThan(0);
    expect(await burst('/strict', 150)).toEqual({ 200: left, 429: 150 - left });
  }, 60_000);
});
