/** `usagePlans()` options, their defaults, and the resolved (validated, precomputed) configuration. */

import { type Clock, systemClock } from '../../core/clock.js';
import {
  type ErrorResponseOptions,
  type PreparedResponse,
  prepareErrorResponse,
} from '../../core/errors.js';
import type { AnyRequest } from '../../core/middleware.js';
import {
  assertBoolean,
  assertKnownOptions,
  assertNumber,
  assertOptionsObject,
  HTTP_TOKEN,
  optionTypeError,
  stripUndefined,
} from '../../core/validate.js';
import { memoryStore } from '../../stores/memory/index.js';
import type { GatewayStore, KeyStore, QuotaStore } from '../../stores/types.js';
import {
  assertOptionalFunction,
  assertPolicyName,
  assertStore,
  assertStoreErrorMode,
  prepareUnavailable,
  type StoreErrorMode,
} from '../throttle/options.js';
import { defineKey, type KeyDefinition } from './keys.js';
import { assertKeyInput, type ResolvedPlan, resolvePlan } from './plans.js';
import { periodBounds, type QuotaPeriod } from './quota.js';
import type { RouteMatching } from './routes.js';

/** A steady rate and burst, as in `throttle()`. */
export interface PlanThrottle {
  /** Tokens per second, more than 0. */
  rate: number;
  /** Bucket capacity, a whole number ≥ 1. @default Math.max(1, Math.ceil(rate)) */
  burst?: number;
}

export interface PlanQuota {
  /** Requests allowed per period, a whole number ≥ 0. */
  limit: number;
  /** Resets at 00:00 UTC each day, each Monday, or on the 1st of each month. */
  period: QuotaPeriod;
  /** Requests taken from the allowance of the first period only (API Gateway's `offset`). @default 0 */
  offset?: number;
}

export interface PlanOptions {
  /** Per-key token bucket. Without it, keys on this plan are not throttled by the plan. */
  throttle?: PlanThrottle;
  /** Per-key request quota. */
  quota?: PlanQuota;
  /**
   * Per-method throttles that replace the plan's for one route, keyed `'<METHOD> <path>'` with the
   * path as this middleware sees it: `{ 'GET /pets': { rate: 1, burst: 2 } }`.
   */
  methods?: Record<string, PlanThrottle>;
}

/** A key to load: the plaintext is hashed at once and never kept. */
export interface ApiKeyInput {
  /** Public identifier (usage reports, `req.gateway.apiKey.id`). */
  id: string;
  /** The secret the client sends, at least 20 characters. */
  key: string;
  /** A plan name from `plans`. */
  plan: string;
  /** @default true */
  enabled?: boolean;
  name?: string;
}

export interface UsagePlansResponses {
  /** Missing, unknown or disabled key: 403 `{"message":"Forbidden"}`. */
  forbidden?: ErrorResponseOptions;
  /** Plan throttle: 429 `{"message":"Too Many Requests"}`. */
  tooManyRequests?: ErrorResponseOptions;
  /** Quota used up: 429 `{"message":"Limit Exceeded"}`. */
  limitExceeded?: ErrorResponseOptions;
  /** Store failed and the request cannot be decided safely: 503 `{"message":"Service Unavailable"}`. */
  unavailable?: ErrorResponseOptions;
}

export interface UsagePlansOptions<Req = AnyRequest> {
  /** The plans, by name. At least one. */
  plans: Record<string, PlanOptions>;
  /**
   * The keys: an array (hashed at once, and created in `store` at start-up when absent) or a key
   * store of their own. A key already in the store keeps what was changed at run time
   * (`disableKey()`, `setPlan()`); its definition here is applied again only when it changed.
   * @default []
   */
  keys?: readonly ApiKeyInput[] | KeyStore;
  /** Request header that carries the key. @default 'x-api-key' */
  header?: string;
  /**
   * Reads the key from the request instead of `header` (a query parameter, a cookie...), or
   * `'authorizer'`: the `usageIdentifierKey` an `authorizer()` mounted before answered with (API
   * Gateway's API key source `AUTHORIZER`); a request it gave none is refused 403.
   */
  keySource?: ((req: Req) => string | undefined) | 'authorizer';
  /** Buckets, quota counters, usage per day, and keys (unless `keys` is a store). @default memoryStore() of its own */
  store?: GatewayStore;
  /**
   * Quota counters and usage per day kept apart from `store`, e.g. in Postgres, MongoDB or
   * DynamoDB through `rateLimiterFlexibleQuota()` from `portcullis/rate-limiter-flexible`. With
   * it, a request makes one store call per decision (key, bucket, quota) instead of one combined
   * step.
   * @default store
   */
  quotaStore?: QuotaStore;
  /** Namespace of this middleware's keys, buckets and counters in a shared store. @default 'usage-plans' */
  name?: string;
  /** Send `RateLimit-Policy` / `RateLimit` items for the plan's throttle and quota. @default true */
  headers?: boolean;
  /** Time source for buckets, quota periods and usage days. @default systemClock */
  clock?: Clock;
  /**
   * When the plans took effect: quota `offset`s apply to the period containing this moment only.
   * Set it when counters outlive the process (a Redis store), or every restart would take the
   * offset again from the period it happens in.
   * @default the time the middleware is created
   */
  startsAt?: Date | number;
  /** Replace any of the gateway's responses. */
  responses?: UsagePlansResponses;
  /**
   * When the store fails while counting the quota: `'closed'` answers 503, `'open'` admits the
   * request uncounted. (The plan throttle always fails open; a key that cannot be looked up is
   * always refused with 503.)
   * @default 'closed'
   */
  onStoreError?: StoreErrorMode;
  /**
   * Key records kept in this process (least recently used dropped first), so that a known key
   * costs one store call per request. The store re-checks the record in that call, so a key
   * disabled, deleted or moved on any instance is seen on its next request. 0 reads the record
   * on every request (one more store call each). A cached key takes ~400 bytes (Node 20,
   * `bench/memory/entries.ts`), so the default holds 100,000 callers in ~40 MB at most: with
   * fewer keys in use than it holds, no request reads its key record twice.
   * @default 100_000
   */
  keyCacheSize?: number;
  /**
   * Whether the app's router tells `/Pets` from `/pets` (Express's `case sensitive routing`,
   * @koa/router's `sensitive`), for the per-route throttles of `methods`.
   * @default false
   */
  caseSensitiveRouting?: boolean;
  /**
   * Whether the app's router tells `/pets/` from `/pets` (Express's `strict routing`,
   * @koa/router's `strict`), for the per-route throttles of `methods`.
   * @default false
   */
  strictRouting?: boolean;
}

export const USAGE_PLANS_DEFAULTS = {
  plans: undefined,
  keys: [],
  header: 'x-api-key',
  keySource: undefined,
  store: undefined,
  quotaStore: undefined,
  name: 'usage-plans',
  headers: true,
  clock: systemClock,
  startsAt: undefined,
  responses: {},
  onStoreError: 'closed',
  keyCacheSize: 100_000,
  caseSensitiveRouting: false,
  strictRouting: false,
} as const satisfies Omit<UsagePlansOptions, 'plans'> & { plans: undefined };

const KNOWN_OPTIONS = Object.keys(USAGE_PLANS_DEFAULTS);
const RESPONSE_KINDS = ['forbidden', 'tooManyRequests', 'limitExceeded', 'unavailable'];
export const SCOPE = 'usagePlans';

export interface UsagePlansConfig {
  readonly namespace: string;
  readonly plans: ReadonlyMap<string, ResolvedPlan>;
  /** The `keys` option, validated and hashed: no plaintext is kept. */
  readonly initialKeys: readonly KeyDefinition[];
  readonly keyStore: KeyStore;
  readonly store: GatewayStore;
  /** Where quotas are counted and usage is kept: `quotaStore`, else `store`. */
  readonly quotaStore: QuotaStore;
  readonly header: string;
  /** Where the key is when not in `header`: a function of the request, or the authorizer's answer. */
  readonly keySource: ((req: unknown) => string | undefined) | 'authorizer' | undefined;
  readonly headers: boolean;
  readonly clock: Clock;
  /** Start of each quota period kind at start-up: the "first period" that `offset` applies to. */
  readonly firstPeriod: Readonly<Record<QuotaPeriod, number>>;
  readonly quotaFailOpen: boolean;
  readonly keyCacheSize: number;
  /** How the app's router compares paths, for `methods`. */
  readonly routing: RouteMatching;
  readonly forbidden: PreparedResponse;
  readonly tooManyRequests: PreparedResponse;
  readonly limitExceeded: PreparedResponse;
  readonly unavailable: PreparedResponse;
}

/** Validates `options` and computes everything that does not depend on the request. */
export function resolveUsagePlansOptions(options: UsagePlansOptions): UsagePlansConfig {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const o = { ...USAGE_PLANS_DEFAULTS, ...stripUndefined(options) };
  if (typeof o.plans !== 'object' || o.plans === null || Object.keys(o.plans).length === 0)
    throw optionTypeError(SCOPE, 'plans', 'an object with at least one plan', o.plans);
  assertBoolean(SCOPE, 'caseSensitiveRouting', o.caseSensitiveRouting);
  assertBoolean(SCOPE, 'strictRouting', o.strictRouting);
  const routing = Object.freeze({ caseSensitive: o.caseSensitiveRouting, strict: o.strictRouting });
  const plans = new Map<string, ResolvedPlan>();
  for (const [name, plan] of Object.entries(o.plans as Record<string, unknown>))
    plans.set(name, resolvePlan(name, plan, routing));

  if (o.quotaStore !== undefined)
    assertStore(SCOPE, o.quotaStore, ['consumeQuota', 'getUsage'], 'quotaStore');
  if (o.store !== undefined)
    assertStore(
      SCOPE,
      o.store,
      o.quotaStore === undefined
        ? ['consumeBucket', 'consumeQuota', 'getUsage', 'getKeyByHash']
        : ['consumeBucket', 'getKeyByHash'],
    );
  const store = (o.store as GatewayStore | undefined) ?? memoryStore();
  const quotaStore = (o.quotaStore as QuotaStore | undefined) ?? store;
  let keyStore: KeyStore = store;
  let initialKeys: KeyDefinition[] = [];
  if (Array.isArray(o.keys)) {
    const ids = new Set<string>();
    const secrets = new Set<string>();
    o.keys.forEach((input: unknown, i: number) => {
      assertKeyInput(SCOPE, `keys[${i}]`, input, plans);
      if (ids.has(input.id)) throw optionTypeError(SCOPE, `keys[${i}].id`, 'unique', input.id);
      if (secrets.has(input.key))
        throw new TypeError(`portcullis.${SCOPE}: option "keys[${i}].key" repeats another key`);
      ids.add(input.id);
      secrets.add(input.key);
    });
    initialKeys = (o.keys as readonly ApiKeyInput[]).map(defineKey);
  } else {
    assertStore(SCOPE, o.keys, ['getKeyByHash', 'getKey', 'putKey', 'deleteKey', 'listKeys']);
    keyStore = o.keys as KeyStore;
  }

  if (typeof o.header !== 'string' || !HTTP_TOKEN.test(o.header))
    throw optionTypeError(SCOPE, 'header', 'a header name', o.header);
  if (o.keySource !== 'authorizer')
    assertOptionalFunction(SCOPE, 'keySource', o.keySource, "a function or 'authorizer'");
  assertBoolean(SCOPE, 'headers', o.headers);
  const namespace = assertPolicyName(SCOPE, 'name', o.name);
  if (typeof o.clock?.now !== 'function')
    throw optionTypeError(SCOPE, 'clock', 'an object with now()', o.clock);
  const responses = o.responses as UsagePlansResponses;
  if (typeof responses !== 'object' || responses === null)
    throw optionTypeError(SCOPE, 'responses', 'an object', responses);
  assertKnownOptions(`${SCOPE}.responses`, responses, RESPONSE_KINDS);
  const startsAt =
    o.startsAt instanceof Date ? o.startsAt.getTime() : (o.startsAt ?? o.clock.now());
  if (typeof startsAt !== 'number' || !Number.isFinite(startsAt))
    throw optionTypeError(SCOPE, 'startsAt', 'a Date or a time in ms', o.startsAt);
  assertNumber(SCOPE, 'keyCacheSize', o.keyCacheSize, {
    min: 0,
    max: 1_000_000,
    integer: true,
    expected: 'a whole number of records from 0 to 1000000',
  });
  const now = startsAt;
  return Object.freeze({
    namespace,
    plans,
    initialKeys,
    keyStore,
    store,
    quotaStore,
    header: o.header.toLowerCase(),
    keySource: o.keySource as UsagePlansConfig['keySource'],
    headers: o.headers,
    clock: o.clock,
    firstPeriod: Object.freeze({
      day: periodBounds('day', now).start,
      week: periodBounds('week', now).start,
      month: periodBounds('month', now).start,
    }),
    quotaFailOpen: assertStoreErrorMode(SCOPE, o.onStoreError) === 'open',
    keyCacheSize: o.keyCacheSize,
    routing,
    forbidden: prepareErrorResponse(
      'forbidden',
      responses.forbidden,
      SCOPE,
      'responses.forbidden',
      'INVALID_API_KEY',
    ),
    tooManyRequests: prepareErrorResponse(
      'tooManyRequests',
      responses.tooManyRequests,
      SCOPE,
      'responses.tooManyRequests',
    ),
    limitExceeded: prepareErrorResponse(
      'limitExceeded',
      responses.limitExceeded,
      SCOPE,
      'responses.limitExceeded',
    ),
    unavailable: prepareUnavailable(responses.unavailable, SCOPE, 'responses.unavailable'),
  });
}
