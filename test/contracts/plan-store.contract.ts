/** The contract suite of `consumePlan`, the optional one-step usage-plan decision: memory and Redis pass it. */

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type {
  BucketStep,
  GatewayStore,
  KeyRecord,
  PlanOutcome,
  PlanStore,
  QuotaStep,
} from '../../src/stores/types.js';

/** Makes a fresh, empty store that has `consumePlan`. */
export type PlanStoreFactory = () => GatewayStore | Promise<GatewayStore>;

const NS = 'plans';
const DAY = 86_400_000;
const D0 = Date.UTC(2026, 0, 5);
const HASH = createHash('sha256').update('alice-secret').digest('hex');
const ALICE: KeyRecord = { id: 'alice', hash: HASH, plan: 'free', enabled: true, createdAt: 1 };

/** A bucket of `burst` tokens, one back every 100 ms. */
function bucket(now: number, burst = 10, emissionIntervalMs = 100): BucketStep {
  return { key: 'plans:t:alice', emissionIntervalMs, burst, cost: 1, now };
}

function quota(now: number, limit = 100): QuotaStep {
  return { key: 'plans:q:alice', limit, periodStart: D0, periodEnd: D0 + DAY, now };
}

async function planStore(makeStore: PlanStoreFactory): Promise<GatewayStore & PlanStore> {
  const store = await makeStore();
  expect(typeof store.consumePlan).toBe('function');
  await store.putKey(NS, ALICE);
  return store as GatewayStore & PlanStore;
}

/** What a refused or unmatched step must have left: the bucket full, nothing counted. */
async function expectUntouched(store: GatewayStore, now: number): Promise<void> {
  const peek = await store.consumeBucket('plans:t:alice', { ...bucket(now), cost: 0 });
  expect(peek.remaining).toBe(10);
  expect(await store.getUsage('plans:q:alice', D0, D0)).toEqual([0]);
}

export function runPlanStoreContract(name: string, makeStore: PlanStoreFactory): void {
  describe(`plan store contract (consumePlan): ${name}`, () => {
    it('takes the token and counts the request when the record is as expected', async () => {
      const store = await planStore(makeStore);
      const outcome = await store.consumePlan(NS, HASH, ALICE, bucket(D0), quota(D0));
      expect(outcome).toEqual({
        matched: true,
        bucket: { allowed: true, remaining: 9, resetMs: 100, retryAfterMs: 0 },
        quota: { allowed: true, used: 1, remaining: 99, resetMs: DAY },
      });
      // The same buckets and counters as consumeBucket / consumeQuota and the usage report.
      expect(
        (await store.consumeBucket('plans:t:alice', { ...bucket(D0), cost: 0 })).remaining,
      ).toBe(9);
      expect((await store.consumeQuota('plans:q:alice', quota(D0))).used).toBe(2);
      expect(await store.getUsage('plans:q:alice', D0, D0)).toEqual([2]);
    });

    it('counts the quota alone without a bucket', async () => {
      const store = await planStore(makeStore);
      const outcome = await store.consumePlan(NS, HASH, ALICE, undefined, quota(D0));
      expect(outcome).toEqual({
        matched: true,
        bucket: undefined,
        quota: { allowed: true, used: 1, remaining: 99, resetMs: DAY },
      });
    });

    it('leaves the quota untouched when the bucket refuses', async () => {
      const store = await planStore(makeStore);
      await store.consumePlan(NS, HASH, ALICE, bucket(D0, 1), quota(D0));
      const refused = await store.consumePlan(NS, HASH, ALICE, bucket(D0, 1), quota(D0));
      expect(refused).toEqual({
        matched: true,
        bucket: { allowed: false, remaining: 0, resetMs: 100, retryAfterMs: 100 },
        quota: undefined,
      });
      expect(await store.getUsage('plans:q:alice', D0, D0)).toEqual([1]);
    });

    it('refuses past the quota without counting, the token already taken', async () => {
      const store = await planStore(makeStore);
      await store.consumePlan(NS, HASH, ALICE, bucket(D0), quota(D0, 1));
      const refused = await store.consumePlan(NS, HASH, ALICE, bucket(D0), quota(D0, 1));
      expect(refused).toMatchObject({
        matched: true,
        bucket: { allowed: true, remaining: 8 },
        quota: { allowed: false, used: 1, remaining: 0 },
      });
      expect(await store.getUsage('plans:q:alice', D0, D0)).toEqual([1]);
    });

    it('changes nothing and returns the record when it was disabled, deleted or moved', async () => {
      const store = await planStore(makeStore);
      const cases: Array<[KeyRecord | undefined, Partial<PlanOutcome>]> = [
        [
          { ...ALICE, enabled: false },
          { matched: false, record: { ...ALICE, enabled: false } },
        ],
        [
          { ...ALICE, plan: 'pro' },
          { matched: false, record: { ...ALICE, plan: 'pro' } },
        ],
        [
          { ...ALICE, id: 'alice-2' },
          { matched: false, record: { ...ALICE, id: 'alice-2' } },
        ],
        [undefined, { matched: false, record: undefined }],
      ];
      for (const [current, expected] of cases) {
        await store.deleteKey(NS, 'alice');
        await store.deleteKey(NS, 'alice-2');
        if (current !== undefined) await store.putKey(NS, current);
        expect(await store.consumePlan(NS, HASH, ALICE, bucket(D0), quota(D0))).toEqual(expected);
      }
      await expectUntouched(store, D0);
    });

    it('answers exactly as consumeBucket for rates whose interval is not a whole number of ms', async () => {
      const store = await planStore(makeStore);
      const third = 1000 / 3;
      let now = D0;
      for (let i = 0; i < 30; i++) {
        const step = bucket(now, 4, third);
        const outcome = await store.consumePlan(NS, HASH, ALICE, step, quota(now, 1000));
        const alone = await store.consumeBucket('other', step);
        expect(outcome.matched && outcome.bucket).toEqual(alone);
        now += [0, 1, 17, 333, 334, 90][i % 6]!;
      }
    });

    it('admits exactly burst of many concurrent calls', async () => {
      const store = await planStore(makeStore);
      const outcomes = await Promise.all(
        Array.from({ length: 60 }, () => store.consumePlan(NS, HASH, ALICE, bucket(D0), quota(D0))),
      );
      expect(outcomes.filter((o) => o.matched && o.bucket?.allowed)).toHaveLength(10);
      expect(await store.getUsage('plans:q:alice', D0, D0)).toEqual([10]);
    });

    it('admits exactly the quota of many concurrent calls', async () => {
      const store = await planStore(makeStore);
      const many = bucket(D0, 1000);
      const outcomes = await Promise.all(
        Array.from({ length: 60 }, () => store.consumePlan(NS, HASH, ALICE, many, quota(D0, 15))),
      );
      expect(outcomes.filter((o) => o.matched && o.quota?.allowed)).toHaveLength(15);
      expect(await store.getUsage('plans:q:alice', D0, D0)).toEqual([15]);
    });
  });
}
