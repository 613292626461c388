/** The rate store contract suite: every `RateStore` (memory, later Redis) must pass it. */

import { describe, expect, it } from 'vitest';
import type { BucketParams, RateStore } from '../../src/stores/types.js';

/** Makes a fresh, empty store. */
export type RateStoreFactory = () => RateStore | Promise<RateStore>;

const T0 = Date.UTC(2026, 0, 5);

/** 10 tokens per second (one every 100 ms), burst 10. */
function params(now: number, cost = 1, burst = 10, emissionIntervalMs = 100): BucketParams {
  return { emissionIntervalMs, burst, cost, now };
}

export function runRateStoreContract(name: string, makeStore: RateStoreFactory): void {
  describe(`rate store contract: ${name}`, () => {
    it('starts full and admits exactly burst requests at one instant', async () => {
      const store = await makeStore();
      const results = [];
      for (let i = 0; i < 11; i++) results.push(await store.consumeBucket('k', params(T0)));
      expect(results.slice(0, 10).every((r) => r.allowed)).toBe(true);
      expect(results.map((r) => r.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]);
      expect(results[9]).toEqual({ allowed: true, remaining: 0, resetMs: 1000, retryAfterMs: 0 });
      expect(results[10]).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 100,
      });
    });

    it('admits exactly burst of many concurrent calls for one key', async () => {
      const store = await makeStore();
      const results = await Promise.all(
        Array.from({ length: 100 }, () => store.consumeBucket('k', params(T0))),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(10);
    });

    it('refills continuously at one token per emission interval', async () => {
      const store = await makeStore();
      for (let i = 0; i < 10; i++) await store.consumeBucket('k', params(T0));
      expect((await store.consumeBucket('k', params(T0 + 99))).allowed).toBe(false);
      const later = await store.consumeBucket('k', params(T0 + 100));
      expect(later).toMatchObject({ allowed: true, remaining: 0 });
      const half = await store.consumeBucket('k', params(T0 + 650, 0));
      expect(half).toMatchObject({ allowed: true, remaining: 5, resetMs: 450 });
    });

    it('never holds more than burst tokens after a long idle time', async () => {
      const store = await makeStore();
      await store.consumeBucket('k', params(T0));
      const result = await store.consumeBucket('k', params(T0 + 3_600_000));
      expect(result).toMatchObject({ allowed: true, remaining: 9, resetMs: 100 });
    });

    it('takes cost tokens, and refuses a cost larger than what is left without spending', async () => {
      const store = await makeStore();
      expect(await store.consumeBucket('k', params(T0, 7))).toMatchObject({
        allowed: true,
        remaining: 3,
      });
      expect(await store.consumeBucket('k', params(T0, 4))).toMatchObject({
        allowed: false,
        remaining: 3,
        retryAfterMs: 100,
      });
      expect(await store.consumeBucket('k', params(T0, 3))).toMatchObject({
        allowed: true,
        remaining: 0,
      });
    });

    it('changes nothing on a refusal', async () => {
      const store = await makeStore();
      for (let i = 0; i < 10; i++) await store.consumeBucket('k', params(T0));
      for (let i = 0; i < 5; i++) await store.consumeBucket('k', params(T0 + 50));
      // Had the refusals spent anything, the token due at +100 would not be there.
      expect((await store.consumeBucket('k', params(T0 + 100))).allowed).toBe(true);
    });

    it('keeps keys apart', async () => {
      const store = await makeStore();
      for (let i = 0; i < 10; i++) await store.consumeBucket('a', params(T0));
      expect((await store.consumeBucket('a', params(T0))).allowed).toBe(false);
      expect((await store.consumeBucket('b', params(T0))).allowed).toBe(true);
    });

    it('gives exact answers for rates whose interval is not a whole number of ms', async () => {
      const store = await makeStore();
      const third = 1000 / 3;
      let admitted = 0;
      for (let i = 0; i < 6; i++)
        if ((await store.consumeBucket('k', params(T0, 1, 3, third))).allowed) admitted++;
      expect(admitted).toBe(3);
      expect((await store.consumeBucket('k', params(T0 + 1000, 0, 3, third))).remaining).toBe(3);
    });
  });
}
