/** The quota store contract suite: every `QuotaStore` (memory, later Redis) must pass it. */

import { describe, expect, it } from 'vitest';
import type { QuotaParams, QuotaStore } from '../../src/stores/types.js';

/** Makes a fresh, empty store. */
export type QuotaStoreFactory = () => QuotaStore | Promise<QuotaStore>;

const DAY = 86_400_000;
const D0 = Date.UTC(2026, 0, 5);

function day(start: number, now: number, limit = 3): QuotaParams {
  return { limit, periodStart: start, periodEnd: start + DAY, now };
}

export function runQuotaStoreContract(name: string, makeStore: QuotaStoreFactory): void {
  describe(`quota store contract: ${name}`, () => {
    it('admits limit requests per period, then refuses without counting', async () => {
      const store = await makeStore();
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await store.consumeQuota('k', day(D0, D0 + 1000)));
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0]);
      expect(results[4]).toEqual({ allowed: false, used: 3, remaining: 0, resetMs: DAY - 1000 });
      expect(await store.getUsage('k', D0, D0)).toEqual([3]);
    });

    it('forgets the period count on resetQuota, keeping the usage days', async () => {
      const store = await makeStore();
      expect(typeof store.resetQuota).toBe('function');
      for (let i = 0; i < 3; i++) await store.consumeQuota('k', day(D0, D0 + 1000));
      await store.resetQuota!('k');
      const after = await store.consumeQuota('k', day(D0, D0 + 2000));
      expect(after).toMatchObject({ allowed: true, used: 1, remaining: 2 });
      expect(await store.getUsage('k', D0, D0)).toEqual([4]);
      await store.resetQuota!('never-counted');
    });

    it('admits exactly limit of many concurrent calls', async () => {
      const store = await makeStore();
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.consumeQuota('k', day(D0, D0, 10))),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(10);
    });

    it('starts a new count in a new period', async () => {
      const store = await makeStore();
      for (let i = 0; i < 3; i++) await store.consumeQuota('k', day(D0, D0));
      expect((await store.consumeQuota('k', day(D0, D0 + DAY - 1))).allowed).toBe(false);
      expect(await store.consumeQuota('k', day(D0 + DAY, D0 + DAY))).toMatchObject({
        allowed: true,
        used: 1,
        remaining: 2,
      });
    });

    it('counts usage per UTC day across a longer period', async () => {
      const store = await makeStore();
      const week = { limit: 100, periodStart: D0, periodEnd: D0 + 7 * DAY };
      await store.consumeQuota('k', { ...week, now: D0 + 10 });
      await store.consumeQuota('k', { ...week, now: D0 + DAY - 1 });
      await store.consumeQuota('k', { ...week, now: D0 + 2 * DAY + 5 });
      expect(await store.getUsage('k', D0 - DAY, D0 + 3 * DAY)).toEqual([0, 2, 0, 1, 0]);
      const last = await store.consumeQuota('k', { ...week, now: D0 + 2 * DAY + 6 });
      expect(last).toMatchObject({ used: 4, remaining: 96, resetMs: 5 * DAY - 6 });
    });

    it('keeps subjects apart and refuses everything at limit 0', async () => {
      const store = await makeStore();
      await store.consumeQuota('a', day(D0, D0, 1));
      expect((await store.consumeQuota('a', day(D0, D0, 1))).allowed).toBe(false);
      expect((await store.consumeQuota('b', day(D0, D0, 1))).allowed).toBe(true);
      expect((await store.consumeQuota('c', day(D0, D0, 0))).allowed).toBe(false);
      expect(await store.getUsage('c', D0, D0)).toEqual([0]);
    });
  });
}
