/** The key records this process last saw, by hash, with each key's store keys built once. */

import { LRUCache } from 'lru-cache';
import type { ApiKeyInfo } from '../../core/context.js';
import type { KeyRecord } from '../../stores/types.js';
import { hashesEqual } from './keys.js';
import type { PlanBucket, ResolvedPlan } from './plans.js';

/** `<namespace>:q:<id>`: a key's quota counter and usage subject in the store. */
export function quotaSubject(namespace: string, id: string): string {
  return `${namespace}:q:${id}`;
}

const oneEntry = (): number => 1;

/** A key that may be admitted (enabled, on a known plan), with what every request on it needs. */
export interface KnownKey {
  /** The record as last read from the store: what a combined step expects to find there still. */
  readonly record: KeyRecord;
  readonly plan: ResolvedPlan;
  /** The context value, one frozen object shared by every request on this key. */
  readonly apiKey: ApiKeyInfo;
  /** `<namespace>:q:<id>`: the quota counter and usage subject. */
  readonly quotaKey: string;
  /** `<namespace>:t:<id><suffix>` of the plan's own bucket (undefined without a plan throttle). */
  readonly planBucketKey: string | undefined;
  /**
   * The same for each route's own bucket; undefined for a plan without routes. Most plans have
   * none: a Map per cached key (~180 bytes, a third of what a key took with it) only when there is something to map.
   */
  readonly routeBucketKeys: ReadonlyMap<PlanBucket, string> | undefined;
}

/** The store key of `bucket` for `known`: the plan's own, or a route's. */
export function bucketKeyOf(known: KnownKey, bucket: PlanBucket): string {
  return bucket === known.plan.throttle
    ? known.planBucketKey!
    : known.routeBucketKeys!.get(bucket)!;
}

/**
 * A bounded cache of key records by hash. It is never trusted on its own: it only says which plan
 * to ask the store about, and the store re-checks the record in the same atomic step (or the
 * record is read again, for stores without that step). So a key disabled, deleted or moved on any
 * instance is seen on the next request; the cache saves the lookup and the per-request strings.
 */
export class KnownKeys {
  private readonly lru: LRUCache<string, KnownKey> | undefined;

  constructor(
    private readonly namespace: string,
    private readonly plans: ReadonlyMap<string, ResolvedPlan>,
    size: number,
  ) {
    // Bounded by `maxSize` (each entry counting 1), not `max`: lru-cache allocates its arrays for
    // `max` entries up front (~29 bytes each, 2.9 MB for the default of 100,000), but grows them
    // as entries come when only `maxSize` is set, so a cache of a few keys costs a few entries.
    this.lru = size === 0 ? undefined : new LRUCache({ maxSize: size, sizeCalculation: oneEntry });
  }

  get(hash: string): KnownKey | undefined {
    return this.lru?.get(hash);
  }

  /**
   * The entry for `record` as the store holds it for `hash` now, kept for the next request; or
   * undefined (and the hash forgotten) when it may not be admitted: missing, another hash,
   * disabled, or on a plan this middleware does not have.
   */
  learn(hash: string, record: KeyRecord | undefined): KnownKey | undefined {
    const plan = record === undefined ? undefined : this.plans.get(record.plan);
    if (record === undefined || plan === undefined || !record.enabled) {
      this.lru?.delete(hash);
      return undefined;
    }
    if (!hashesEqual(record.hash, hash)) return undefined;
    const cached = this.lru?.get(hash);
    if (cached !== undefined && cached.record.id === record.id && cached.plan === plan)
      return cached;
    const known = this.build(record, plan);
    this.lru?.set(hash, known);
    return known;
  }

  private build(record: KeyRecord, plan: ResolvedPlan): KnownKey {
    const bucketPrefix = `${this.namespace}:t:${record.id}`;
    let routeBucketKeys: Map<PlanBucket, string> | undefined;
    if (plan.methods !== undefined) {
      routeBucketKeys = new Map();
      for (const bucket of plan.methods.values())
        routeBucketKeys.set(bucket, bucketPrefix + bucket.keySuffix);
    }
    return {
      record,
      plan,
      apiKey: Object.freeze({ id: record.id, plan: plan.name }),
      quotaKey: quotaSubject(this.namespace, record.id),
      planBucketKey:
        plan.throttle === undefined ? undefined : bucketPrefix + plan.throttle.keySuffix,
      routeBucketKeys,
    };
  }
}
