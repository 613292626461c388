/** `throttle()` options, their defaults, and the resolved (validated, precomputed) configuration. */

import { type Clock, systemClock } from '../../core/clock.js';
import {
  type ErrorResponseOptions,
  type PreparedResponse,
  prepareErrorResponse,
} from '../../core/errors.js';
import type { Exchange } from '../../core/exchange.js';
import type { AnyRequest } from '../../core/middleware.js';
import {
  assertBoolean,
  assertKnownOptions,
  assertNumber,
  assertOptionsObject,
  optionTypeError,
  stripUndefined,
} from '../../core/validate.js';
import { memoryStore } from '../../stores/memory/index.js';
import { kConsumeBucketNow } from '../../stores/memory/memory-store.js';
import type { BucketParams, BucketResult, RateStore } from '../../stores/types.js';
import { bucketQuotaWindow, POLICY_NAME, policyItem, policyLabel } from './headers.js';
import { clientAddressKey } from './key.js';

/** Whose bucket a request takes tokens from. */
export type ThrottleKey<Req = AnyRequest> =
  | 'ip'
  | 'apiKey'
  | 'principal'
  | 'global'
  | ((req: Req) => string);

/** What a store failure does: admit the request (`'open'`) or answer 503 (`'closed'`). */
export type StoreErrorMode = 'open' | 'closed';

export interface ThrottleOptions<Req = AnyRequest> {
  /** Tokens added per second (the steady rate), more than 0; fractions allowed (`0.5` = one every 2 s). */
  rate: number;
  /** Bucket capacity: requests allowed at once after a quiet time. A whole number ≥ 1. @default Math.max(1, Math.ceil(rate)) */
  burst?: number;
  /**
   * Whose bucket: `'ip'` (the client address, honouring Express `trust proxy` / Koa `app.proxy`),
   * `'apiKey'` (the key id `usagePlans()` put on the context), `'principal'` (the caller's id
   * `jwt()` or an authorizer put on the context), `'global'` (one bucket for the
   * whole app), or a function of the request. A key that cannot be derived is an error (the
   * request fails), never a shared bucket.
   * @default 'ip'
   */
  key?: ThrottleKey<Req>;
  /** Tokens a request takes: a whole number ≥ 0, or a function of the request. @default 1 */
  cost?: number | ((req: Req) => number);
  /** Policy name in the `RateLimit` fields; also the bucket namespace in a shared store. @default 'throttle' */
  name?: string;
  /** Send `RateLimit-Policy` and `RateLimit` on every response of the throttled routes. @default true */
  headers?: boolean;
  /** With `key: 'ip'`: IPv6 clients share a bucket per prefix of this many bits (1–128), or `false` per address. @default 56 */
  ipv6Subnet?: number | false;
  /** Requests for which this returns true are not throttled (and take no token). */
  skip?: (req: Req) => boolean | Promise<boolean>;
  /** Called for each refused request, before the 429 is sent (logging, metrics). */
  onLimit?: (req: Req) => void | Promise<void>;
  /** Where buckets live. @default memoryStore() of its own */
  store?: RateStore;
  /** Time source. @default systemClock */
  clock?: Clock;
  /** Replaces the 429 `{"message":"Too Many Requests"}`. */
  response?: ErrorResponseOptions;
  /** When the store fails: `'open'` admits the request without RateLimit headers; `'closed'` answers 503. @default 'open' */
  onStoreError?: StoreErrorMode;
  /** Replaces the 503 `{"message":"Service Unavailable"}` of `onStoreError: 'closed'`. */
  unavailableResponse?: ErrorResponseOptions;
  /**
   * Replaces the answer to a request whose `cost(req)` is more than `burst`: it could never be
   * admitted, so it gets 413 `{"message":"Request Cost Exceeds Burst"}` without `Retry-After`
   * (waiting would not help) and takes no token.
   */
  costTooHighResponse?: ErrorResponseOptions;
}

export const THROTTLE_DEFAULTS = {
  rate: undefined,
  burst: undefined,
  key: 'ip',
  cost: 1,
  name: 'throttle',
  headers: true,
  ipv6Subnet: 56,
  skip: undefined,
  onLimit: undefined,
  store: undefined,
  clock: systemClock,
  response: undefined,
  onStoreError: 'open',
  unavailableResponse: undefined,
  costTooHighResponse: undefined,
} as const satisfies Omit<ThrottleOptions, 'rate'> & { rate: undefined };

const KNOWN_OPTIONS = Object.keys(THROTTLE_DEFAULTS);
const SCOPE = 'throttle';

/** A bucket's shape, validated: what a store's `consumeBucket` needs besides cost and time. */
export interface BucketShape {
  readonly emissionIntervalMs: number;
  readonly burst: number;
  /** The policy name as an sf-string, as the `RateLimit` items begin. */
  readonly label: string;
  /** The `RateLimit-Policy` item stating the rate exactly (see `bucketQuotaWindow`), built once. */
  readonly policy: string;
}

/** The resolved configuration: validated, frozen, with the key function compiled. */
export interface ThrottleConfig {
  readonly name: string;
  readonly bucket: BucketShape;
  /** Namespace prepended to every bucket key: `<name>:`. */
  readonly prefix: string;
  readonly keyOf: (ex: Exchange) => string;
  readonly cost: number | ((req: unknown) => number);
  readonly headers: boolean;
  readonly skip: ((req: unknown) => boolean | Promise<boolean>) | undefined;
  readonly onLimit: ((req: unknown) => void | Promise<void>) | undefined;
  readonly store: RateStore;
  /** The memory store's Promise-free bucket step, when the store is one (`kConsumeBucketNow`). */
  readonly takeTokensNow: ((key: string, params: BucketParams) => BucketResult) | undefined;
  readonly clock: Clock;
  readonly tooManyRequests: PreparedResponse;
  readonly failOpen: boolean;
  readonly unavailable: PreparedResponse;
  /** The answer to a `cost(req)` above `burst`. */
  readonly costTooHigh: PreparedResponse;
}

/** Validates `rate` and `burst` and builds the bucket shape (shared with usage plans). */
export function resolveBucketShape(
  scope: string,
  option: string,
  name: string,
  rate: unknown,
  burst: unknown,
): BucketShape {
  assertNumber(scope, `${option}rate`, rate, {
    min: Number.MIN_VALUE,
    expected: 'a number of tokens per second, more than 0',
  });
  const capacity = burst ?? Math.max(1, Math.ceil(rate));
  assertNumber(scope, `${option}burst`, capacity, {
    min: 1,
    integer: true,
    expected: 'a whole number of tokens, 1 or more',
  });
  const label = policyLabel(name);
  const { q, w } = bucketQuotaWindow(rate, capacity);
  return Object.freeze({
    emissionIntervalMs: 1000 / rate,
    burst: capacity,
    label,
    policy: policyItem(label, q, w),
  });
}

/** Validates a policy name (it goes into a structured-field string). */
export function assertPolicyName(scope: string, option: string, name: unknown): string {
  if (typeof name !== 'string' || !POLICY_NAME.test(name)) {
    throw optionTypeError(
      scope,
      option,
      'a name of 1–64 printable ASCII characters without " or \\',
      name,
    );
  }
  return name;
}

/** The `onStoreError` mode, validated. */
export function assertStoreErrorMode(scope: string, value: unknown): StoreErrorMode {
  if (value !== 'open' && value !== 'closed')
    throw optionTypeError(scope, 'onStoreError', "'open' or 'closed'", value);
  return value;
}

/** The 503 sent when a store fails and the middleware fails closed. */
export function prepareUnavailable(
  override: ErrorResponseOptions | undefined,
  scope: string,
  option: string,
): PreparedResponse {
  // The core table has no 503 row: build it from one, with every default field replaced.
  return prepareErrorResponse(
    'badGateway',
    { status: 503, message: 'Service Unavailable', ...override },
    scope,
    option,
    'DEFAULT_5XX',
  );
}

/** Asserts an optional callback. */
export function assertOptionalFunction(
  scope: string,
  option: string,
  value: unknown,
  expected = 'a function',
): void {
  if (value !== undefined && typeof value !== 'function')
    throw optionTypeError(scope, option, expected, value);
}

/** Asserts that `value` has every method of a store contract. */
export function assertStore(
  scope: string,
  value: unknown,
  methods: readonly string[],
  option = 'store',
): void {
  const ok =
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) throw optionTypeError(scope, option, `a store with ${methods.join(', ')}`, value);
}

function compileKey(key: unknown, ipv6Subnet: number | false): (ex: Exchange) => string {
  if (key === 'ip') {
    return (ex) => {
      const address = ex.ip;
      if (address === '')
        throw new Error('portcullis.throttle: the client address is unknown, cannot pick a bucket');
      return clientAddressKey(address, ipv6Subnet);
    };
  }
  if (key === 'apiKey') {
    return (ex) => {
      const apiKey = ex.gateway.apiKey;
      if (apiKey === undefined) {
        throw new Error(
          "portcullis.throttle: key 'apiKey' needs usagePlans() to run before this throttle",
        );
      }
      return apiKey.id;
    };
  }
  if (key === 'principal') {
    return (ex) => {
      const principal = ex.gateway.principal;
      // An empty id would put every such caller in one bucket.
      if (principal === undefined || principal.id === '') {
        throw new Error(
          "portcullis.throttle: key 'principal' needs jwt() or an authorizer to run before this throttle",
        );
      }
      return principal.id;
    };
  }
  if (key === 'global') return () => '*';
  if (typeof key === 'function') {
    const derive = key as (req: unknown) => unknown;
    return (ex) => {
      const value = derive(ex.native);
      if (typeof value !== 'string' || value === '') {
        throw new TypeError(
          `portcullis.throttle: key(req) must return a non-empty string, got ${typeof value === 'string' ? 'an empty string' : typeof value}`,
        );
      }
      return value;
    };
  }
  throw optionTypeError(SCOPE, 'key', "'ip', 'apiKey', 'principal', 'global' or a function", key);
}

/** Validates `options` and computes everything that does not depend on the request. */
export function resolveThrottleOptions(options: ThrottleOptions): ThrottleConfig {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const o = { ...THROTTLE_DEFAULTS, ...stripUndefined(options) };
  const name = assertPolicyName(SCOPE, 'name', o.name);
  const bucket = resolveBucketShape(SCOPE, '', name, o.rate, o.burst);
  assertBoolean(SCOPE, 'headers', o.headers);
  if (o.ipv6Subnet !== false)
    assertNumber(SCOPE, 'ipv6Subnet', o.ipv6Subnet, {
      min: 1,
      max: 128,
      integer: true,
      expected: 'a prefix length from 1 to 128, or false',
    });
  if (typeof o.cost !== 'function')
    // More than `burst` could never be admitted: a configuration error, not a permanent 429.
    assertNumber(SCOPE, 'cost', o.cost, {
      min: 0,
      max: bucket.burst,
      integer: true,
      expected: `a whole number of tokens from 0 to burst (${bucket.burst}), or a function`,
    });
  assertOptionalFunction(SCOPE, 'skip', o.skip);
  assertOptionalFunction(SCOPE, 'onLimit', o.onLimit);
  if (o.store !== undefined) assertStore(SCOPE, o.store, ['consumeBucket']);
  if (typeof o.clock?.now !== 'function')
    throw optionTypeError(SCOPE, 'clock', 'an object with now()', o.clock);
  const store = o.store ?? memoryStore();
  return Object.freeze({
    name,
    bucket,
    prefix: `${name}:`,
    keyOf: compileKey(o.key, o.ipv6Subnet),
    cost: o.cost as ThrottleConfig['cost'],
    headers: o.headers,
    skip: o.skip as ThrottleConfig['skip'],
    onLimit: o.onLimit === undefined ? undefined : guardedHook(SCOPE, 'onLimit', o.onLimit),
    store,
    takeTokensNow: (store as { [kConsumeBucketNow]?: ThrottleConfig['takeTokensNow'] })[
      kConsumeBucketNow
    ],
    clock: o.clock,
    tooManyRequests: prepareErrorResponse('tooManyRequests', o.response, SCOPE, 'response'),
    failOpen: assertStoreErrorMode(SCOPE, o.onStoreError) === 'open',
    unavailable: prepareUnavailable(o.unavailableResponse, SCOPE, 'unavailableResponse'),
    // The core table has no 413 row: built from one, with every default field replaced.
    costTooHigh: prepareErrorResponse(
      'tooManyRequests',
      { status: 413, message: 'Request Cost Exceeds Burst', ...o.costTooHighResponse },
      SCOPE,
      'costTooHighResponse',
      'REQUEST_TOO_LARGE',
    ),
  });
}

/**
 * `hook` made safe to await: an error it throws or rejects with is reported once per middleware
 * (`process.emitWarning`, code `PORTCULLIS_HOOK_FAILED`) and swallowed, so the request still gets
 * its documented answer and a hook failing on every request does not flood the logs.
 */
export function guardedHook(
  scope: string,
  name: string,
  hook: (req: unknown) => unknown,
): (req: unknown) => Promise<void> {
  let reported = false;
  const report = (err: unknown): void => {
    if (reported) return;
    reported = true;
    const reason = err instanceof Error ? err.message : String(err);
    process.emitWarning(
      `portcullis.${scope}: ${name}(req) failed (${reason}); answering as usual`,
      {
        code: 'PORTCULLIS_HOOK_FAILED',
      },
    );
  };
  return async (req) => {
    try {
      await hook(req);
    } catch (err) {
      report(err);
    }
  };
}
