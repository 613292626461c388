/** `gateway.usagePlans()`: API keys bound to plans, each with its own throttle and quota, as API Gateway has. */

import { createMiddleware } from '../../adapters/universal.js';
import { sendPrepared } from '../../core/errors.js';
import type { CoreHandler, Exchange, Next } from '../../core/exchange.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import { type ConsumePlanNow, kConsumePlanNow } from '../../stores/memory/memory-store.js';
import type {
  BucketResult,
  BucketStep,
  KeyRecord,
  PlanOutcome,
  PlanStore,
  QuotaResult,
  QuotaStep,
} from '../../stores/types.js';
import {
  offerFields,
  proceed,
  RateLimitFields,
  recordThrottle,
  retryAfter,
  StoreHealth,
  withdrawFields,
} from '../throttle/bucket.js';
import { policyItem } from '../throttle/headers.js';
import { hashKey, MAX_KEY_LENGTH } from './keys.js';
import { bucketKeyOf, type KnownKey, KnownKeys } from './known-keys.js';
import { type KeyManagement, keyManagement } from './management.js';
import {
  resolveUsagePlansOptions,
  type UsagePlansConfig,
  type UsagePlansOptions,
} from './options.js';
import type { PlanBucket, ResolvedPlan } from './plans.js';
import { periodBounds, periodLimit } from './quota.js';
import { findRoute, type RouteMatching } from './routes.js';
import { StartupImport } from './startup.js';

/** What `next()` gives back when the charge answered at once (Express, or a refusal). */
const SETTLED: PromiseLike<void> = Promise.resolve();

/** A plan without a quota still counts usage per day: an allowance that never runs out. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** The middleware, with the key management methods on it. */
export type UsagePlansMiddleware = GatewayMiddleware & KeyManagement;

/**
 * Admits a request only with a valid, enabled API key (`x-api-key`), then applies the key's
 * plan: its throttle (429 Too Many Requests) and its quota (429 Limit Exceeded, `Retry-After`
 * until the period resets). Requests refused by the throttle do not count against the quota. On
 * success `apiKey: { id, plan }` is on the gateway context.
 *
 * @example
 * const plans = gateway.usagePlans({
 *   plans: {
 *     free: { throttle: { rate: 1, burst: 5 }, quota: { limit: 1000, period: 'month' } },
 *     pro: { throttle: { rate: 50, burst: 100 }, quota: { limit: 100_000, period: 'day' } },
 *   },
 *   keys: [{ id: 'acme', key: process.env.ACME_KEY, plan: 'pro' }],
 * });
 * app.use(plans);
 * const { id, key } = await plans.createKey({ plan: 'free', name: 'Trial user' });
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
 */
export function usagePlans(options: UsagePlansOptions): UsagePlansMiddleware {
  const config = resolveUsagePlansOptions(options);
  const admission = new Admission(config);
  const startup = new StartupImport(config);
  const management = keyManagement(config, () => startup.ready());
  // Told to the proxy (which drops `x-api-key` anyway) only when it is another header.
  const otherKeyHeader = config.header === 'x-api-key' ? undefined : config.header;

  /** The presented key's hash, or undefined once the 403 is sent. */
  const checkKey = (ex: Exchange): string | undefined => {
    if (otherKeyHeader !== undefined) ex.gateway.apiKeyHeader = otherKeyHeader;
    const presented = presentedKey(ex, config);
    if (typeof presented !== 'string' || presented === '' || presented.length > MAX_KEY_LENGTH) {
      sendPrepared(ex, config.forbidden);
      return undefined;
    }
    return hashKey(presented);
  };
  const aroundCharge: AroundCharge = (inner) =>
    function usagePlansAround(ex, next) {
      const hash = checkKey(ex);
      if (hash === undefined) return;
      if (startup.loaded) return admission.admitAround(ex, next, hash, inner);
      return startup.ready().then(() => admission.admitAround(ex, next, hash, inner));
    };

  const middleware = createMiddleware(
    'usagePlans',
    function usagePlans(ex, next) {
      const hash = checkKey(ex);
      if (hash === undefined) return;
      if (startup.loaded) return admission.admit(ex, next, hash);
      return startup.ready().then(() => admission.admit(ex, next, hash));
    },
    management,
  );
  Object.defineProperty(middleware, kAroundCharge, { value: aroundCharge });
  return middleware as UsagePlansMiddleware;
}

/**
 * For `pipeline()`: usage plans split around another check (the stage throttle). `aroundCharge(
 * inner)` is a handler that checks the key (403 without a valid one; `apiKey` is then on the
 * context), runs `inner`, and only when `inner` continues charges the plan's throttle and quota:
 * a request the stage throttle refuses is never counted against the key's quota.
 */
export const kAroundCharge: unique symbol = Symbol('portcullis.usagePlans.aroundCharge');
export type AroundCharge = (inner: CoreHandler) => CoreHandler;

/** The `aroundCharge` of a usage plans middleware, or undefined for any other function. */
export function aroundChargeOf(value: unknown): AroundCharge | undefined {
  return (value as { [kAroundCharge]?: AroundCharge } | undefined)?.[kAroundCharge];
}

/** The key the request presents: from `header`, the app's `keySource(req)`, or the authorizer's answer. */
function presentedKey(ex: Exchange, config: UsagePlansConfig): string | undefined {
  const source = config.keySource;
  if (source === undefined) return ex.header(config.header);
  if (source === 'authorizer') return ex.gateway.authorizerApiKey;
  return source(ex.native);
}

/** The quota period a request falls in, and what depends only on it. */
interface QuotaWindow {
  readonly start: number;
  readonly end: number;
  /** The period's allowance (after any `offset` of the first period). */
  readonly limit: number;
  /** The quota's `RateLimit-Policy` item; undefined for a plan without a quota. */
  readonly policy: string | undefined;
}

/**
 * One middleware's admission decisions, on one path whatever the store: a step takes the key
 * check, the bucket and the quota (`PlanStep`), and its outcome is applied the same way. With a
 * store that has `consumePlan` (and holds the keys too) the step is one atomic store call,
 * answered at once by the memory store; otherwise it is the record, the bucket and the quota, one
 * call each (`separateStep`).
 */
class Admission {
  private readonly health = new StoreHealth('usagePlans');
  private readonly known: KnownKeys;
  private readonly windows = new Map<ResolvedPlan, QuotaWindow>();
  /** The step for a key already known (it re-checks the record in the store). */
  private readonly knownStep: PlanStep;
  /** The step for a record just read from the store (no need to read it again). */
  private readonly freshStep: PlanStep;
  /** With `onStoreError: 'open'`, what a failed combined step is retried with; else undefined. */
  private readonly fallback: PlanStep | undefined;

  constructor(private readonly config: UsagePlansConfig) {
    this.known = new KnownKeys(config.namespace, config.plans, config.keyCacheSize);
    const { store } = config;
    // The step checks the record in the store it decides in: only when that store holds the keys
    // and counts the quotas.
    const planStore =
      store.consumePlan !== undefined && config.keyStore === store && config.quotaStore === store
        ? (store as PlanStore & { [kConsumePlanNow]?: ConsumePlanNow })
        : undefined;
    const separate = separateStep(config, this.health, true);
    if (planStore === undefined) {
      this.knownStep = separate;
      this.freshStep = separateStep(config, this.health, false);
      this.fallback = undefined;
    } else {
      this.freshStep = (namespace, hash, expected, bucket, quota) =>
        planStore.consumePlan(namespace, hash, expected, bucket, quota);
      // The memory store's answers at once (no Promise, no await: what `kConsumeBucketNow` does
      // for `throttle()`).
      this.knownStep = planStore[kConsumePlanNow] ?? this.freshStep;
      this.fallback = config.quotaFailOpen ? separate : undefined;
    }
  }

  admit(ex: Exchange, next: Next, hash: string): PromiseLike<void> | undefined {
    const known = this.known.get(hash);
    if (known !== undefined) return this.attempt(ex, next, hash, this.knownStep, known, 0);
    return this.lookUp(ex, hash).then((found) =>
      found === undefined ? undefined : this.attempt(ex, next, hash, this.freshStep, found, 0),
    );
  }

  /**
   * Checks the key as `admit` does, then runs `inner` with the key on the context; the plan's
   * throttle and quota are charged only when `inner` continues.
   */
  admitAround(
    ex: Exchange,
    next: Next,
    hash: string,
    inner: CoreHandler,
  ): void | PromiseLike<void> | undefined {
    const known = this.known.get(hash);
    if (known !== undefined) return this.chargeAfter(ex, next, hash, this.knownStep, known, inner);
    return this.lookUp(ex, hash).then((found) =>
      found === undefined
        ? undefined
        : this.chargeAfter(ex, next, hash, this.freshStep, found, inner),
    );
  }

  private chargeAfter(
    ex: Exchange,
    next: Next,
    hash: string,
    step: PlanStep,
    known: KnownKey,
    inner: CoreHandler,
  ): void | PromiseLike<void> {
    // The stage throttle may key on the caller (`key: 'apiKey'`): the key is known, not yet charged.
    ex.gateway.apiKey = known.apiKey;
    // The stage throttle's RateLimit items are collected with the plan's, so each field is set
    // once (see `offerFields`): it writes them itself only when it refuses.
    const fields = new RateLimitFields();
    offerFields(ex, fields);
    try {
      return inner(ex, () => this.attempt(ex, next, hash, step, known, 0, fields) ?? SETTLED);
    } finally {
      withdrawFields();
    }
  }

  /** Without the key record nobody can be admitted safely. */
  private unavailable(ex: Exchange, err: unknown, carried: RateLimitFields | undefined): void {
    this.health.failed(err, 'refusing requests with 503 until it recovers');
    carried?.write(ex);
    sendPrepared(ex, this.config.unavailable);
  }

  /**
   * One combined step for `known`; settled at once when the step answers at once. `carried`: the
   * RateLimit items of a stage throttle run before (pipeline), written with the plan's.
   */
  private attempt(
    ex: Exchange,
    next: Next,
    hash: string,
    step: PlanStep,
    known: KnownKey,
    attempt: number,
    carried?: RateLimitFields,
  ): PromiseLike<void> | undefined {
    const now = this.config.clock.now();
    const window = this.window(known.plan, now);
    const bucket = bucketFor(ex, known.plan, this.config.routing);
    let outcome: PlanOutcome | PromiseLike<PlanOutcome>;
    try {
      outcome = step(
        this.config.namespace,
        hash,
        known.record,
        bucket === undefined ? undefined : bucketStep(known, bucket, now),
        quotaStep(known, window, now),
      );
    } catch (err) {
      return this.stepFailed(ex, next, hash, step, known, err, carried);
    }
    if (!isPlanOutcome(outcome)) {
      return outcome.then(
        (answer) =>
          this.settle(ex, next, hash, step, known, attempt, bucket, window, answer, carried),
        (err: unknown) => this.stepFailed(ex, next, hash, step, known, err, carried),
      );
    }
    return this.settle(ex, next, hash, step, known, attempt, bucket, window, outcome, carried);
  }

  /**
   * Applies a step's answer. A record that changed (another plan) gets a second attempt with the
   * record the store holds now; changed again, this request cannot be decided.
   */
  private settle(
    ex: Exchange,
    next: Next,
    hash: string,
    step: PlanStep,
    known: KnownKey,
    attempt: number,
    bucket: PlanBucket | undefined,
    window: QuotaWindow,
    outcome: PlanOutcome,
    carried: RateLimitFields | undefined,
  ): PromiseLike<void> | undefined {
    this.health.ok();
    if (outcome.matched) return this.decide(ex, next, known, bucket, window, outcome, carried);
    const current = this.known.learn(hash, outcome.record);
    if (current === undefined || attempt === 1) return this.undecided(ex, current, carried);
    return this.attempt(ex, next, hash, step, current, attempt + 1, carried);
  }

  /**
   * The step failed as a whole, so the key is unverified: 503, as for a failed lookup. With
   * `onStoreError: 'open'` the decisions are retried one by one, so that the plan throttle and the
   * quota fail open as they do apart (a step that timed out after Redis ran it may then count
   * this request twice: the price of preferring availability).
   */
  private stepFailed(
    ex: Exchange,
    next: Next,
    hash: string,
    step: PlanStep,
    known: KnownKey,
    err: unknown,
    carried: RateLimitFields | undefined,
  ): PromiseLike<void> | undefined {
    const { fallback } = this;
    if (fallback !== undefined && step !== fallback)
      return this.attempt(ex, next, hash, fallback, known, 0, carried);
    this.unavailable(ex, err, carried);
    return undefined;
  }

  /** Applies a matched step's bucket and quota answers: a 429, or on to the route. */
  private decide(
    ex: Exchange,
    next: Next,
    known: KnownKey,
    bucket: PlanBucket | undefined,
    window: QuotaWindow,
    outcome: PlanOutcome & { matched: true },
    carried: RateLimitFields | undefined,
  ): PromiseLike<void> | undefined {
    // The key is verified: a refusal below is recorded with it too (logs and metrics by plan).
    ex.gateway.apiKey = known.apiKey;
    const fields = carried ?? (this.config.headers ? new RateLimitFields() : undefined);
    if (this.refusedByBucket(ex, fields, bucket, outcome.bucket)) return undefined;
    if (this.refusedByQuota(ex, fields, known.plan, window, outcome.quota)) return undefined;
    return admitted(ex, next, fields);
  }

  /**
   * No record, or one that may not be admitted: 403. Else the record changed twice in a row: this
   * request cannot be decided (the store itself is fine, so no health change).
   */
  private undecided(
    ex: Exchange,
    known: KnownKey | undefined,
    carried: RateLimitFields | undefined,
  ): undefined {
    // Set early by `admitAround` (pipeline): the key is no longer what it was checked as.
    ex.gateway.apiKey = undefined;
    carried?.write(ex);
    sendPrepared(ex, known === undefined ? this.config.forbidden : this.config.unavailable);
    return undefined;
  }

  /** The record from the store, as a known key; undefined once the 403 or 503 is sent. */
  private async lookUp(ex: Exchange, hash: string): Promise<KnownKey | undefined> {
    let record: KeyRecord | undefined;
    try {
      record = await this.config.keyStore.getKeyByHash(this.config.namespace, hash);
    } catch (err) {
      this.unavailable(ex, err, undefined);
      return undefined;
    }
    const known = this.known.learn(hash, record);
    if (known === undefined) sendPrepared(ex, this.config.forbidden);
    return known;
  }

  /** Applies the bucket's answer (none when it failed); true once a refusal's 429 is sent. */
  private refusedByBucket(
    ex: Exchange,
    fields: RateLimitFields | undefined,
    bucket: PlanBucket | undefined,
    taken: BucketResult | undefined,
  ): boolean {
    if (bucket === undefined || taken === undefined) return false;
    recordThrottle(ex, bucket.name, bucket.shape.burst, taken);
    if (this.config.headers)
      fields?.add(bucket.shape.policy, bucket.shape.label, taken.remaining, taken.resetMs);
    if (taken.allowed) return false;
    fields?.write(ex);
    sendPrepared(ex, this.config.tooManyRequests, retryAfter(taken.retryAfterMs));
    return true;
  }

  /** Applies the quota's answer (none when it failed or without a quota); true once a 429 is sent. */
  private refusedByQuota(
    ex: Exchange,
    fields: RateLimitFields | undefined,
    plan: ResolvedPlan,
    window: QuotaWindow,
    counted: QuotaResult | undefined,
  ): boolean {
    if (plan.quota === undefined || counted === undefined) return false;
    if (this.config.headers)
      fields?.add(window.policy!, plan.quota.policyLabel, counted.remaining, counted.resetMs);
    if (counted.allowed) return false;
    fields?.write(ex);
    sendPrepared(ex, this.config.limitExceeded, retryAfter(counted.resetMs));
    return true;
  }

  /**
   * The plan's quota period containing `now`. Its bounds, allowance and `RateLimit-Policy` item
   * change only with the period: built once per plan and period, not per request.
   */
  private window(plan: ResolvedPlan, now: number): QuotaWindow {
    const current = this.windows.get(plan);
    if (current !== undefined && now >= current.start && now < current.end) return current;
    const { quota } = plan;
    const bounds = periodBounds(quota?.period ?? 'day', now);
    const limit =
      quota === undefined
        ? UNLIMITED
        : periodLimit(quota, bounds.start, this.config.firstPeriod[quota.period]);
    const policy =
      quota === undefined
        ? undefined
        : policyItem(quota.policyLabel, limit, Math.round((bounds.end - bounds.start) / 1000));
    const window = { start: bounds.start, end: bounds.end, limit, policy };
    this.windows.set(plan, window);
    return window;
  }
}

/** `consumePlan`'s arguments; the answer at once (the memory store) or as a Promise. */
type PlanStep = (
  ...args: Parameters<PlanStore['consumePlan']>
) => PlanOutcome | PromiseLike<PlanOutcome>;

/**
 * The step for a store without `consumePlan` (or whose keys live elsewhere): the record, the
 * bucket, then the quota, one call each; `verify: false` when the record was just read. The
 * bucket fails open, as `throttle()` does (a limiter outage must not become an API outage): its
 * answer is then missing. So does the quota of a plan without one, or with `onStoreError: 'open'`;
 * otherwise a failed quota, or a failed record read, fails the step (503).
 */
function separateStep(config: UsagePlansConfig, health: StoreHealth, verify: boolean): PlanStep {
  const { store, keyStore, quotaStore } = config;
  return async (namespace, hash, expected, bucket, quota) => {
    if (verify) {
      const record = await keyStore.getKeyByHash(namespace, hash);
      if (record?.enabled !== true || record.id !== expected.id || record.plan !== expected.plan)
        return { matched: false, record };
    }
    let taken: BucketResult | undefined;
    if (bucket !== undefined) {
      try {
        taken = await store.consumeBucket(bucket.key, bucket);
        health.ok();
      } catch (err) {
        health.failed(err, 'admitting keys without their plan throttle until it recovers');
      }
      // Requests the throttle refuses never count against the quota.
      if (taken?.allowed === false) return { matched: true, bucket: taken, quota: undefined };
    }
    let counted: QuotaResult | undefined;
    try {
      counted = await quotaStore.consumeQuota(quota.key, quota);
    } catch (err) {
      if (quota.limit !== UNLIMITED && !config.quotaFailOpen) throw err;
      health.failed(err, 'admitting keys without counting their quota until it recovers');
    }
    return { matched: true, bucket: taken, quota: counted };
  };
}

/** Whether a step answered at once (a Promise has `then`, an outcome never does). */
function isPlanOutcome(value: PlanOutcome | PromiseLike<PlanOutcome>): value is PlanOutcome {
  return typeof (value as { then?: unknown }).then !== 'function';
}

/** The route's own bucket when the plan overrides it (`'GET /pets'`), else the plan's. */
function bucketFor(
  ex: Exchange,
  plan: ResolvedPlan,
  matching: RouteMatching,
): PlanBucket | undefined {
  return plan.methods === undefined
    ? plan.throttle
    : (findRoute(plan.methods, ex.method, ex.path, matching) ?? plan.throttle);
}

function bucketStep(known: KnownKey, bucket: PlanBucket, now: number): BucketStep {
  return {
    key: bucketKeyOf(known, bucket),
    emissionIntervalMs: bucket.shape.emissionIntervalMs,
    burst: bucket.shape.burst,
    cost: 1,
    now,
  };
}

function quotaStep(known: KnownKey, window: QuotaWindow, now: number): QuotaStep {
  return {
    key: known.quotaKey,
    limit: window.limit,
    periodStart: window.start,
    periodEnd: window.end,
    now,
  };
}

/** Writes the collected RateLimit fields and continues. */
function admitted(
  ex: Exchange,
  next: Next,
  fields: RateLimitFields | undefined,
): PromiseLike<void> | undefined {
  fields?.write(ex);
  return proceed(ex, next);
}
