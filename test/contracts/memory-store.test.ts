import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/stores/memory/index.js';
import { runCacheStoreContract } from './cache-store.contract.js';
import { runKeyStoreContract } from './key-store.contract.js';
import { runPlanStoreContract } from './plan-store.contract.js';
import { runQuotaStoreContract } from './quota-store.contract.js';
import { runRateStoreContract } from './rate-store.contract.js';

runRateStoreContract('memory', () => memoryStore());
runQuotaStoreContract('memory', () => memoryStore());
runKeyStoreContract('memory', () => memoryStore());
runPlanStoreContract('memory', () => memoryStore());
runCacheStoreContract('memoryStore().cache', (clock) => memoryStore({ cache: { clock } }).cache);

const T0 = Date.UTC(2026, 0, 5);
const DAY = 86_400_000;

describe('memoryStore()', () => {
  it('evicts idle buckets (full again) as it works, so memory follows active clients', async () => {
    const store = memoryStore();
    const params = { emissionIntervalMs: 100, burst: 10, cost: 1, now: T0 };
    for (let i = 0; i < 1000; i++) await store.consumeBucket(`client-${i}`, params);
    expect(store.stats().buckets).toBe(1000);
    // One second later every one of them is full again; a few hundred operations sweep them all.
    const later = { ...params, now: T0 + 1000 };
    for (let i = 0; i < 600; i++) await store.consumeBucket('active', later);
    expect(store.stats().buckets).toBe(1);
  });

  it('reclaims every idle bucket and past quota counter within a bounded time, however few requests come (most stayed held)', async () => {
    const store = memoryStore();
    const clients = 100_000;
    // Clients arriving over one second, as under load: each bucket is full again 100 ms later.
    for (let i = 0; i < clients; i++) {
      const now = T0 + i / 100;
      await store.consumeBucket(`client-${i}`, {
        emissionIntervalMs: 100,
        burst: 20,
        cost: 1,
        now,
      });
      if (i % 10 === 0)
        await store.consumeQuota(`key-${i}`, {
          limit: 5,
          periodStart: T0,
          periodEnd: T0 + DAY,
          now,
        });
    }
    // One request long after every bucket refilled and the quota period ended.
    const later = T0 + DAY + 1;
    await store.consumeBucket('late', { emissionIntervalMs: 100, burst: 20, cost: 1, now: later });
    await store.consumeQuota('late', {
      limit: 5,
      periodStart: later,
      periodEnd: later + DAY,
      now: later,
    });
    // Within the default sweep interval (1 s) and a few chunks.
    const deadline = Date.now() + 3000;
    while (store.stats().buckets > 1 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(store.stats()).toMatchObject({ buckets: 1, quotaCounters: 1 });
  });

  it('keeps a bucket that is not full yet, whatever the sweep', async () => {
    const store = memoryStore({ sweepPerOperation: 1000 });
    const params = { emissionIntervalMs: 100, burst: 10, cost: 10, now: T0 };
    await store.consumeBucket('a', params);
    await store.consumeBucket('b', { ...params, now: T0 + 500 });
    expect(store.stats().buckets).toBe(2);
    expect((await store.consumeBucket('a', { ...params, now: T0 + 500, cost: 6 })).allowed).toBe(
      false,
    );
    store.prune(T0 + 1000);
    expect(store.stats().buckets).toBe(1);
  });

  it('forgets usage days past usageRetentionDays', async () => {
    const store = memoryStore({ usageRetentionDays: 2 });
    const quota = (now: number) => ({ limit: 10, periodStart: now, periodEnd: now + DAY, now });
    await store.consumeQuota('k', quota(T0));
    await store.consumeQuota('k', quota(T0 + DAY));
    await store.consumeQuota('k', quota(T0 + 2 * DAY));
    expect(await store.getUsage('k', T0, T0 + 2 * DAY)).toEqual([0, 1, 1]);
  });

  it('refuses bad options, naming them', () => {
    expect(() => memoryStore({ usageRetentionDays: 0 })).toThrow(/option "usageRetentionDays"/);
    expect(() => memoryStore({ sweepPerOperation: 1.5 })).toThrow(/option "sweepPerOperation"/);
    expect(() => memoryStore({ sweepIntervalMs: 0 })).toThrow(/option "sweepIntervalMs"/);
    expect(() => memoryStore({ retention: 1 } as never)).toThrow(/unknown option "retention"/);
  });
});
