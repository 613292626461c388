/** `authorizer()` options, their defaults, and the resolved (validated, precomputed) configuration. */

import { type Clock, systemClock } from '../../core/clock.js';
import {
  type ErrorResponseOptions,
  type PreparedResponse,
  prepareErrorResponse,
} from '../../core/errors.js';
import { ARN_PART, EXECUTE_API_ARN_DEFAULTS } from '../../core/iam-policy.js';
import {
  assertBoolean,
  assertKnownOptions,
  assertNumber,
  assertOptionsObject,
  optionTypeError,
  stripUndefined,
} from '../../core/validate.js';
import type { AuthorizerResultStore } from '../../stores/authorizer.js';
import { assertPolicyName, assertStore } from '../throttle/options.js';
import type { RouteMatching } from '../usage-plans/routes.js';
import { compileIdentitySources, type IdentitySource } from './identity.js';
import type { AuthorizerFunction } from './types.js';

/** The parts of API Gateway's `methodArn` before `/{METHOD}/{path}`. */
export interface AuthorizerArnOptions {
  /** @default 'local' */
  region?: string;
  /** @default '000000000000' */
  accountId?: string;
  /** @default 'portcullis' */
  apiId?: string;
  /** @default '$default' */
  stage?: string;
}

export interface AuthorizerResponses {
  /** Identity source missing, or `fn` threw `Error('Unauthorized')`: 401 `{"message":"Unauthorized"}` with `WWW-Authenticate: Bearer`. */
  unauthorized?: ErrorResponseOptions;
  /** An explicit Deny (or `allow: false`): 403 `{"message":"User is not authorized to access this resource with an explicit deny"}`. */
  accessDenied?: ErrorResponseOptions;
  /** A policy with no Allow for this method and path: 403 `{"message":"User is not authorized to access this resource"}`. */
  implicitDeny?: ErrorResponseOptions;
  /** `fn` threw, timed out or answered something malformed: 500 `{"message":"Internal server error"}`. */
  internalError?: ErrorResponseOptions;
}

export interface AuthorizerOptions {
  /**
   * The event `fn` receives: `'REQUEST'` (headers, query, path, method, source IP) or `'TOKEN'`
   * (`authorizationToken` from the one header of `identitySource`, and `methodArn`).
   * @default 'REQUEST'
   */
  type?: 'REQUEST' | 'TOKEN';
  /**
   * Where the caller's identity is: `'header:<name>'` or `'query:<name>'` (API Gateway's
   * `method.request.header.<name>` / `method.request.querystring.<name>` also accepted). A request
   * missing any of them is answered 401 without calling `fn`. Their values are the cache key.
   * `'TOKEN'` takes exactly one header.
   * @default ['header:Authorization']
   */
  identitySource?: string | readonly string[];
  /**
   * `'TOKEN'` only: a token that does not match is answered 401 without calling `fn` (API
   * Gateway's `identityValidationExpression`).
   */
  identityValidationExpression?: RegExp;
  /** Seconds a result is reused for the same identity source values; 0 turns the cache off. At most 3600. @default 300 */
  ttl?: number;
  /**
   * Results kept in this process at most (least recently used dropped first). Memory is bounded
   * too, at about 2 KiB a result: results for long identities (16 KiB tokens) count for more.
   * @default 10_000
   */
  cacheSize?: number;
  /** Milliseconds `fn` may take before the request is answered 500. @default 10_000 */
  timeoutMs?: number;
  /** The `methodArn` prefix parts, so that an authorizer that builds `Resource` from `event.methodArn` works unchanged. */
  arn?: AuthorizerArnOptions;
  /**
   * Whether the app's router tells `/Pets` from `/pets` (Express's `case sensitive routing`,
   * @koa/router's `sensitive`): policy resources are matched the same way, so that a Deny on
   * `/admin` also covers `/ADMIN` when the router serves both from one handler.
   * @default false
   */
  caseSensitiveRouting?: boolean;
  /**
   * Whether the app's router tells `/pets/` from `/pets` (Express's `strict routing`, @koa/router's
   * `strict`). When not, one trailing `/` is dropped from the path in `methodArn`.
   * @default false
   */
  strictRouting?: boolean;
  /**
   * Shares results between instances (`redisStore({ client }).authorizerResults`): a miss in this
   * process looks there before calling `fn`, and a decision of `fn` is stored there for `ttl`.
   * Keys are `name` and a SHA-256 of the identity; a store failure only means calling `fn`.
   * @default none (results are kept in this process only)
   */
  store?: AuthorizerResultStore;
  /** This authorizer's namespace in a shared `store` (give each authorizer sharing one its own). @default 'authorizer' */
  name?: string;
  /** Time source for the result cache's TTL. @default systemClock */
  clock?: Clock;
  /** Replace any of the gateway's responses. */
  responses?: AuthorizerResponses;
}

export const AUTHORIZER_DEFAULTS = {
  type: 'REQUEST',
  identitySource: ['header:Authorization'],
  identityValidationExpression: undefined,
  ttl: 300,
  cacheSize: 10_000,
  timeoutMs: 10_000,
  arn: {},
  caseSensitiveRouting: false,
  strictRouting: false,
  store: undefined,
  name: 'authorizer',
  clock: systemClock,
  responses: {},
} as const satisfies AuthorizerOptions;

/** API Gateway's defaults for the `methodArn` prefix, documented in the README. */
export const AUTHORIZER_ARN_DEFAULTS = EXECUTE_API_ARN_DEFAULTS;

const KNOWN_OPTIONS = Object.keys(AUTHORIZER_DEFAULTS);
const RESPONSE_KINDS = ['unauthorized', 'accessDenied', 'implicitDeny', 'internalError'];
export const SCOPE = 'authorizer';
/** API Gateway refuses an authorizer result TTL above one hour. */
const MAX_TTL_SECONDS = 3600;

export interface AuthorizerResponseSet {
  readonly unauthorized: PreparedResponse;
  readonly accessDenied: PreparedResponse;
  readonly implicitDeny: PreparedResponse;
  /** `fn` threw or timed out (`AUTHORIZER_FAILURE`). */
  readonly failure: PreparedResponse;
  /** `fn` answered something that is not a valid result (`AUTHORIZER_CONFIGURATION_ERROR`). */
  readonly malformed: PreparedResponse;
}

export interface AuthorizerConfig {
  readonly fn: AuthorizerFunction;
  readonly type: 'REQUEST' | 'TOKEN';
  readonly sources: readonly IdentitySource[];
  readonly tokenPattern: RegExp | undefined;
  readonly ttlMs: number;
  readonly cacheSize: number;
  readonly timeoutMs: number;
  /** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/`, built once. */
  readonly arnPrefix: string;
  readonly routing: RouteMatching;
  readonly store: AuthorizerResultStore | undefined;
  /** `<name>:`, prepended to every key in `store`. */
  readonly storePrefix: string;
  readonly clock: Clock;
  readonly responses: AuthorizerResponseSet;
}

function resolveArnPrefix(arn: unknown): string {
  if (typeof arn !== 'object' || arn === null)
    throw optionTypeError(SCOPE, 'arn', 'an object', arn);
  assertKnownOptions(`${SCOPE}.arn`, arn, Object.keys(AUTHORIZER_ARN_DEFAULTS));
  const parts = { ...AUTHORIZER_ARN_DEFAULTS, ...stripUndefined(arn as AuthorizerArnOptions) };
  for (const [name, value] of Object.entries(parts)) {
    if (typeof value !== 'string' || !ARN_PART.test(value))
      throw optionTypeError(
        SCOPE,
        `arn.${name}`,
        'a string without ":", "/", "*", "?" or spaces',
        value,
      );
  }
  return `arn:aws:execute-api:${parts.region}:${parts.accountId}:${parts.apiId}/${parts.stage}/`;
}

function withBearerChallenge(
  override: ErrorResponseOptions | undefined,
): ErrorResponseOptions | undefined {
  if (override !== undefined && (typeof override !== 'object' || override === null))
    return override;
  const headers = override?.headers;
  if (headers !== undefined && (typeof headers !== 'object' || headers === null)) return override;
  return { ...override, headers: { 'www-authenticate': 'Bearer', ...headers } };
}

function resolveResponses(responses: unknown): AuthorizerResponseSet {
  if (typeof responses !== 'object' || responses === null)
    throw optionTypeError(SCOPE, 'responses', 'an object', responses);
  assertKnownOptions(`${SCOPE}.responses`, responses, RESPONSE_KINDS);
  const r = responses as AuthorizerResponses;
  return Object.freeze({
    // RFC 9110 §11.6.1: a 401 carries a challenge; RFC 6750's bare `Bearer` names no error, so
    // it fits any identity source. An override's own header replaces it.
    unauthorized: prepareErrorResponse(
      'unauthorized',
      withBearerChallenge(r.unauthorized),
      SCOPE,
      'responses.unauthorized',
    ),
    accessDenied: prepareErrorResponse(
      'accessDenied',
      r.accessDenied,
      SCOPE,
      'responses.accessDenied',
    ),
    // The core table has no implicit-deny row: API Gateway's message, over the explicit one's.
    implicitDeny: prepareErrorResponse(
      'accessDenied',
      { message: 'User is not authorized to access this resource', ...r.implicitDeny },
      SCOPE,
      'responses.implicitDeny',
    ),
    failure: prepareErrorResponse(
      'internalError',
      r.internalError,
      SCOPE,
      'responses.internalError',
    ),
    malformed: prepareErrorResponse(
      'internalError',
      r.internalError,
      SCOPE,
      'responses.internalError',
      'AUTHORIZER_CONFIGURATION_ERROR',
    ),
  });
}

/** Validates `fn` and `options` and computes everything that does not depend on the request. */
export function resolveAuthorizerOptions(
  fn: unknown,
  options: AuthorizerOptions,
): AuthorizerConfig {
  if (typeof fn !== 'function')
    throw optionTypeError(SCOPE, 'fn', 'a function (event) => result', fn);
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const o = { ...AUTHORIZER_DEFAULTS, ...stripUndefined(options) };
  if (o.type !== 'REQUEST' && o.type !== 'TOKEN')
    throw optionTypeError(SCOPE, 'type', "'REQUEST' or 'TOKEN'", o.type);
  const sources = compileIdentitySources(SCOPE, o.identitySource, o.type);
  const tokenPattern = o.identityValidationExpression;
  if (tokenPattern !== undefined) {
    if (!(tokenPattern instanceof RegExp))
      throw optionTypeError(SCOPE, 'identityValidationExpression', 'a RegExp', tokenPattern);
    if (o.type !== 'TOKEN')
      throw optionTypeError(
        SCOPE,
        'identityValidationExpression',
        "used with type 'TOKEN' only",
        tokenPattern,
      );
  }
  assertNumber(SCOPE, 'ttl', o.ttl, {
    min: 0,
    max: MAX_TTL_SECONDS,
    integer: true,
    expected: 'a whole number of seconds from 0 to 3600',
  });
  assertNumber(SCOPE, 'cacheSize', o.cacheSize, {
    min: 1,
    max: 10_000_000,
    integer: true,
    expected: 'a whole number of results from 1 to 10000000',
  });
  assertNumber(SCOPE, 'timeoutMs', o.timeoutMs, {
    min: 1,
    max: 2_147_483_647,
    integer: true,
    expected: 'a whole number of milliseconds, 1 or more',
  });
  assertBoolean(SCOPE, 'caseSensitiveRouting', o.caseSensitiveRouting);
  assertBoolean(SCOPE, 'strictRouting', o.strictRouting);
  if (typeof o.clock?.now !== 'function')
    throw optionTypeError(SCOPE, 'clock', 'an object with now()', o.clock);
  if (o.store !== undefined) assertStore(SCOPE, o.store, ['get', 'set']);
  const name = assertPolicyName(SCOPE, 'name', o.name);
  return Object.freeze({
    fn: fn as AuthorizerFunction,
    type: o.type,
    sources,
    // A global or sticky RegExp keeps state between tests: use a fresh, stateless copy.
    tokenPattern:
      tokenPattern === undefined
        ? undefined
        : new RegExp(tokenPattern.source, tokenPattern.flags.replace(/[gy]/g, '')),
    ttlMs: o.ttl * 1000,
    cacheSize: o.cacheSize,
    timeoutMs: o.timeoutMs,
    arnPrefix: resolveArnPrefix(o.arn),
    routing: Object.freeze({ caseSensitive: o.caseSensitiveRouting, strict: o.strictRouting }),
    store: o.store,
    storePrefix: `${name}:`,
    clock: o.clock,
    responses: resolveResponses(o.responses),
  });
}
