/** Plans and keys, validated: the parts of the `usagePlans()` options that describe what a key may do. */

import {
  assertBoolean,
  assertKnownOptions,
  assertNumber,
  HTTP_TOKEN,
  optionTypeError,
} from '../../core/validate.js';
import { policyLabel } from '../throttle/headers.js';
import { assertPolicyName, type BucketShape, resolveBucketShape } from '../throttle/options.js';
import { PRESENTABLE_KEY } from './keys.js';
import type { ApiKeyInput, PlanOptions, PlanQuota, PlanThrottle } from './options.js';
import type { QuotaRule } from './quota.js';
import { type RouteMatching, routePath } from './routes.js';

const SCOPE = 'usagePlans';

/** A quota rule with its precomputed `RateLimit` names. */
export interface ResolvedQuota extends QuotaRule {
  /** `"<plan>-quota"` policy name. */
  readonly policyName: string;
  /** The policy name as an sf-string (see `policyLabel`). */
  readonly policyLabel: string;
}

/** A plan's bucket (or a route's own), with its policy name and bucket key suffix. */
export interface PlanBucket {
  readonly shape: BucketShape;
  /** Policy name in the RateLimit fields: the plan's name, or `<plan> <METHOD> <path>`. */
  readonly name: string;
  /** Appended to `<namespace>:t:<key id>`: empty for the plan, `:GET /pets` for a route. */
  readonly keySuffix: string;
}

/** A plan, validated, with every header item that does not depend on time built. */
export interface ResolvedPlan {
  readonly name: string;
  readonly throttle: PlanBucket | undefined;
  readonly quota: ResolvedQuota | undefined;
  /** `'GET /pets'` → its bucket; undefined when the plan has no overrides (no per-request lookup). */
  readonly methods: ReadonlyMap<string, PlanBucket> | undefined;
}

/** `'<METHOD> <path>'`: a request target's path is printable ASCII (RFC 9112 §3.2, RFC 3986). */
const METHOD_ROUTE = /^(\S+) (\/[\x21-\x7e]*)$/;

function resolveThrottle(option: string, value: unknown, name: string): BucketShape {
  if (typeof value !== 'object' || value === null)
    throw optionTypeError(SCOPE, option, 'an object like { rate, burst }', value);
  assertKnownOptions(`${SCOPE}.${option}`, value, ['rate', 'burst']);
  const { rate, burst } = value as PlanThrottle;
  return resolveBucketShape(SCOPE, `${option}.`, name, rate, burst ?? undefined);
}

function resolveQuota(plan: string, value: unknown): ResolvedQuota {
  const option = `plans.${plan}.quota`;
  if (typeof value !== 'object' || value === null)
    throw optionTypeError(SCOPE, option, 'an object like { limit, period }', value);
  assertKnownOptions(`${SCOPE}.${option}`, value, ['limit', 'period', 'offset']);
  const { limit, period, offset = 0 } = value as PlanQuota;
  assertNumber(SCOPE, `${option}.limit`, limit, {
    min: 0,
    integer: true,
    expected: 'a whole number of requests (0 or more)',
  });
  if (period !== 'day' && period !== 'week' && period !== 'month')
    throw optionTypeError(SCOPE, `${option}.period`, "'day', 'week' or 'month'", period);
  assertNumber(SCOPE, `${option}.offset`, offset, {
    min: 0,
    max: limit,
    integer: true,
    expected: `a whole number of requests from 0 to the limit (${limit})`,
  });
  const policyName = `${plan}-quota`;
  return Object.freeze({ limit, period, offset, policyName, policyLabel: policyLabel(policyName) });
}

export function resolvePlan(plan: string, value: unknown, matching: RouteMatching): ResolvedPlan {
  assertPolicyName(SCOPE, `plans.${plan}`, plan);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw optionTypeError(
      SCOPE,
      `plans.${plan}`,
      'an object like { throttle, quota, methods }',
      value,
    );
  assertKnownOptions(`${SCOPE}.plans.${plan}`, value, ['throttle', 'quota', 'methods']);
  const options = value as PlanOptions;
  const throttle =
    options.throttle === undefined
      ? undefined
      : {
          shape: resolveThrottle(`plans.${plan}.throttle`, options.throttle, plan),
          name: plan,
          keySuffix: '',
        };
  const quota = options.quota === undefined ? undefined : resolveQuota(plan, options.quota);
  let methods: Map<string, PlanBucket> | undefined;
  if (options.methods !== undefined) {
    if (typeof options.methods !== 'object' || options.methods === null)
      throw optionTypeError(
        SCOPE,
        `plans.${plan}.methods`,
        "an object like { 'GET /pets': { rate } }",
        options.methods,
      );
    methods = new Map();
    for (const [route, throttleOptions] of Object.entries(options.methods)) {
      const match = METHOD_ROUTE.exec(route);
      if (match === null || !HTTP_TOKEN.test(match[1]!))
        throw optionTypeError(SCOPE, `plans.${plan}.methods`, "keys like 'GET /pets'", route);
      // Compared as the router compares requests, so that `/pets` and `/pets/` are one route.
      const key = `${match[1]!.toUpperCase()} ${routePath(match[2]!, matching)}`;
      if (methods.has(key))
        throw optionTypeError(SCOPE, `plans.${plan}.methods`, 'one key per route', route);
      const name = `${plan} ${key}`;
      const shape = resolveThrottle(`plans.${plan}.methods.${route}`, throttleOptions, name);
      methods.set(key, { shape, name, keySuffix: `:${key}` });
    }
    if (methods.size === 0) methods = undefined;
  }
  return Object.freeze({ name: plan, throttle, quota, methods });
}

/** Validates one key to load; `where` names it in errors. */
export function assertKeyInput(
  scope: string,
  where: string,
  input: unknown,
  plans: ReadonlyMap<string, ResolvedPlan>,
): asserts input is ApiKeyInput {
  if (typeof input !== 'object' || input === null)
    throw optionTypeError(scope, where, 'an object like { id, key, plan }', input);
  assertKnownOptions(`${scope}.${where}`, input, ['id', 'key', 'plan', 'enabled', 'name']);
  const { id, key, plan, enabled, name } = input as ApiKeyInput;
  if (typeof id !== 'string' || id === '' || id.length > 128)
    throw optionTypeError(scope, `${where}.id`, 'a string of 1–128 characters', id);
  // A key that cannot travel in a header intact could never be presented. Never echo the value:
  // it is a secret.
  if (typeof key !== 'string' || !PRESENTABLE_KEY.test(key))
    throw new TypeError(
      `portcullis.${scope}: option "${where}.key" must be a string of 20–256 visible ASCII characters (key of "${id}")`,
    );
  assertPlanName(scope, `${where}.plan`, plan, plans);
  if (enabled !== undefined) assertBoolean(scope, `${where}.enabled`, enabled);
  if (name !== undefined && typeof name !== 'string')
    throw optionTypeError(scope, `${where}.name`, 'a string', name);
}

/** A plan name that exists. */
export function assertPlanName(
  scope: string,
  where: string,
  plan: unknown,
  plans: ReadonlyMap<string, ResolvedPlan>,
): asserts plan is string {
  if (typeof plan !== 'string' || !plans.has(plan))
    throw optionTypeError(scope, where, `one of the plans (${[...plans.keys()].join(', ')})`, plan);
}
