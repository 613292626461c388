/**
 * The quota store contract against rate-limiter-flexible's memory backend and a real Postgres of
 * the file's own (skipped locally without Postgres binaries; REQUIRE_POSTGRES=1 makes that fail),
 * plus the exactness of concurrent calls from two instances sharing one database.
 */

import pg from 'pg';
import { RateLimiterMemory, RLWrapperTimeouts } from 'rate-limiter-flexible';
import { afterAll, describe, expect, it } from 'vitest';
import { rateLimiterFlexibleQuota } from '../../src/rate-limiter-flexible.js';
import type { QuotaParams, QuotaStore } from '../../src/stores/types.js';
import { postgresLimiter, startOwnPostgres } from '../support/postgres-server.js';
import { runQuotaStoreContract } from './quota-store.contract.js';

const DAY = 86_400_000;
const TABLE = 'portcullis_quota';

const memoryLimiter = () => new RateLimiterMemory({ points: 1, duration: 0 });

runQuotaStoreContract('rate-limiter-flexible, RateLimiterMemory', () =>
  rateLimiterFlexibleQuota({ limiter: memoryLimiter() }),
);

/** A period of `days` from now (real time: the backends expire counters by their own clock). */
function fromNow(limit: number, days: number): QuotaParams {
  const now = Date.now();
  return { limit, periodStart: now, periodEnd: now + days * DAY, now };
}

/** Settles the limiter's pending work (timers, promises) for a few ms of real time. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('rateLimiterFlexibleQuota()', () => {
  it('keeps a month counter in RateLimiterMemory past the longest Node timer (2^31-1 ms)', async () => {
    const store = rateLimiterFlexibleQuota({ limiter: memoryLimiter() });
    const month = fromNow(1, 31);
    expect((await store.consumeQuota('k', month)).allowed).toBe(true);
    // A longer timer fires after 1 ms: the counter would be gone and the next call admitted.
    await pause(20);
    expect(await store.consumeQuota('k', month)).toMatchObject({ allowed: false });
  });

  it('knows the timer limit of a RateLimiterMemory wrapped in RLWrapperTimeouts', async () => {
    const limiter = new RLWrapperTimeouts({ limiter: memoryLimiter(), timeoutMs: 1000 });
    const store = rateLimiterFlexibleQuota({ limiter });
    const month = fromNow(1, 31);
    expect((await store.consumeQuota('k', month)).allowed).toBe(true);
    await pause(20);
    expect(await store.consumeQuota('k', month)).toMatchObject({ allowed: false });
  });

  it('gives a refused call its point back, so a limit raised mid-period sees the true count', async () => {
    const store = rateLimiterFlexibleQuota({ limiter: memoryLimiter() });
    const params = fromNow(3, 1);
    for (let i = 0; i < 10; i++) await store.consumeQuota('k', params);
    const raised = { ...params, limit: 5 };
    expect(await store.consumeQuota('k', raised)).toMatchObject({ allowed: true, used: 4 });
    expect(await store.consumeQuota('k', raised)).toMatchObject({ allowed: true, used: 5 });
    expect(await store.consumeQuota('k', raised)).toMatchObject({ allowed: false, used: 5 });
  });

  it('never reports more used than the limit, even while refusals are being given back', async () => {
    const store = rateLimiterFlexibleQuota({ limiter: memoryLimiter() });
    const params = fromNow(4, 1);
    const results = await Promise.all(
      Array.from({ length: 30 }, () => store.consumeQuota('k', params)),
    );
    expect(Math.max(...results.map((r) => r.used))).toBe(4);
    expect(results.filter((r) => r.allowed).map((r) => r.used)).toEqual([1, 2, 3, 4]);
  });

  it('refuses bad options, naming them', () => {
    const limiter = memoryLimiter();
    expect(() => rateLimiterFlexibleQuota({} as never)).toThrow(/option "limiter"/);
    expect(() => rateLimiterFlexibleQuota({ limiter: {} as never })).toThrow(/option "limiter"/);
    expect(() => rateLimiterFlexibleQuota({ limiter, usageRetentionDays: 0 })).toThrow(
      /option "usageRetentionDays"/,
    );
    expect(() => rateLimiterFlexibleQuota({ limiter, maxExpirySeconds: 0.5 })).toThrow(
      /option "maxExpirySeconds"/,
    );
    expect(() => rateLimiterFlexibleQuota({ limiter, retention: 1 } as never)).toThrow(
      /unknown option "retention"/,
    );
  });
});

const server = await startOwnPostgres();

describe.skipIf(server === undefined)('rateLimiterFlexibleQuota() on RateLimiterPostgres', () => {
  const pools: pg.Pool[] = [];
  let prefixes = 0;

  /** A pool of its own: a second instance of an app shares the database, not the connections. */
  function pool(): pg.Pool {
    const created = new pg.Pool({ connectionString: server!.connectionString, max: 10 });
    pools.push(created);
    return created;
  }
  const shared = pool();

  /** A fresh, empty store: a key prefix of its own in the shared table. */
  async function freshStore(client = shared, keyPrefix = `t${++prefixes}`): Promise<QuotaStore> {
    return rateLimiterFlexibleQuota({ limiter: await postgresLimiter(client, TABLE, keyPrefix) });
  }

  afterAll(async () => {
    for (const p of pools) await p.end();
    await server?.stop();
  });

  runQuotaStoreContract('rate-limiter-flexible, RateLimiterPostgres', () => freshStore());

  it('admits exactly 15 of 200 concurrent calls through two instances, 5 runs in a row', async () => {
    const prefix = `exact${++prefixes}`;
    const instances = [await freshStore(pool(), prefix), await freshStore(pool(), prefix)];
    for (let run = 0; run < 5; run++) {
      const params = fromNow(15, 1);
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => instances[i % 2]!.consumeQuota(`run-${run}`, params)),
      );
      const admitted = results.filter((r) => r.allowed);
      expect(admitted.map((r) => r.used).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 15 }, (_, i) => i + 1),
      );
      expect(results.every((r) => r.used <= 15 && r.remaining === 15 - r.used)).toBe(true);
      const today = Math.floor(params.now / DAY) * DAY;
      expect(await instances[0]!.getUsage(`run-${run}`, today, today)).toEqual([15]);
      // Every refusal was given back: one more allowed by a raised limit is the 16th, not the 201st.
      expect(await instances[1]!.consumeQuota(`run-${run}`, { ...params, limit: 16 })).toEqual(
        expect.objectContaining({ allowed: true, used: 16 }),
      );
    }
  });

  it('leaves the period count unchanged when the usage day cannot be counted', async () => {
    const store = await freshStore(shared, 'dayfails');
    // A real failure of the second write only: Postgres refuses this prefix's usage-day rows.
    await shared.query(`
      CREATE FUNCTION refuse_day() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION 'usage day refused'; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER refuse_day BEFORE INSERT OR UPDATE ON ${TABLE}
        FOR EACH ROW WHEN (NEW.key LIKE 'dayfails:u:%') EXECUTE FUNCTION refuse_day();`);
    const params = fromNow(1, 1);
    try {
      await expect(store.consumeQuota('k', params)).rejects.toThrow(/usage day refused/);
    } finally {
      await shared.query(`DROP TRIGGER refuse_day ON ${TABLE}; DROP FUNCTION refuse_day();`);
    }
    expect(await store.consumeQuota('k', params)).toMatchObject({ allowed: true, used: 1 });
  });

  it('expires a period counter at the period end and a usage day after its retention', async () => {
    const store = await freshStore(shared, 'expiry');
    const params = fromNow(10, 31);
    await store.consumeQuota('k', params);
    const day = Math.floor(params.now / DAY);
    const { rows } = await shared.query<{ key: string; expire: string }>(
      `SELECT key, expire FROM ${TABLE} WHERE key LIKE 'expiry:%' ORDER BY key`,
    );
    expect(rows.map((r) => r.key)).toEqual([
      `expiry:q:k:${params.periodStart}`,
      `expiry:u:k:${day}`,
    ]);
    // Whole seconds, rounded up, counted from the backend's clock: within a second or two.
    const [period, usage] = rows.map((r) => Number(r.expire));
    expect(Math.abs(period! - params.periodEnd)).toBeLessThan(2000);
    expect(Math.abs(usage! - (day + 1 + 90) * DAY)).toBeLessThan(2000);
  });
});
