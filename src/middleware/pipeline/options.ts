/** `pipeline()`'s options: each piece's own options (or the piece already built), by name. */

import type { AnyRequest, GatewayMiddleware } from '../../core/middleware.js';
import type { AuthorizerFunction, AuthorizerOptions } from '../authorizer/index.js';
import type { CacheOptions } from '../cache/index.js';
import type { ClientCertOptions } from '../client-cert/index.js';
import type { CorsOptions } from '../cors/index.js';
import type { IpFilterOptions } from '../ip-filter/index.js';
import type { JwtOptions } from '../jwt/index.js';
import type { LambdaHandler, LambdaOptions } from '../lambda/index.js';
import type { ProxyOptions, TargetFunction, TargetUrl } from '../proxy/index.js';
import type { ResourcePolicyDocument, ResourcePolicyOptions } from '../resource-policy/index.js';
import type { ThrottleOptions } from '../throttle/index.js';
import type { UsagePlansOptions } from '../usage-plans/index.js';

/** The authorizer's function with its options, as one object. */
export interface AuthorizerPipelineOptions extends AuthorizerOptions {
  /** The authorizer function, as `gateway.authorizer(fn)` takes it. Required. */
  fn: AuthorizerFunction;
}

/** The Lambda handler with its options, as one object. */
export interface LambdaPipelineOptions extends LambdaOptions {
  /** The handler, as `gateway.lambda(handler)` takes it. Required. */
  // biome-ignore lint/suspicious/noExplicitAny: the handler picks its own event type.
  handler: LambdaHandler<any>;
}

/** The resource policy with its options, as one object. */
export interface ResourcePolicyPipelineOptions extends ResourcePolicyOptions {
  /** The policy document, as `gateway.resourcePolicy(policy)` takes it. Required. */
  policy: ResourcePolicyDocument | string;
}

/**
 * The pieces of `gateway.pipeline()`. Each key takes what the single middleware's factory takes
 * (or that middleware already built, e.g. to keep its management methods at hand); absent keys
 * are skipped (`Built`: a built middleware's type, `RequestHandler` or `Koa.Middleware` in the
 * typed entries). Whatever the keys' order here, the pieces run in API Gateway's:
 * cors → resourcePolicy → ipFilter → clientCert → jwt → authorizer → usagePlans → throttle → cache →
 * the integration (`proxy` or `lambda`, one of them).
 */
export interface PipelineOptions<Req = AnyRequest, Built = GatewayMiddleware> {
  /** `gateway.cors()`'s options (`true` for its defaults). Default: no CORS. */
  cors?: true | CorsOptions<Req> | Built;
  /**
   * `gateway.resourcePolicy(policy, options)` as `{ policy, ...options }`. Runs right after
   * `cors`, so that its 403 carries the CORS headers. Default: no resource policy.
   */
  resourcePolicy?: ResourcePolicyPipelineOptions | Built;
  /** `gateway.ipFilter()`'s options. Default: no IP filter. */
  ipFilter?: IpFilterOptions | Built;
  /** `gateway.clientCert()`'s options (`true` for its defaults). Default: no certificate check. */
  clientCert?: true | ClientCertOptions | Built;
  /** `gateway.jwt()`'s options. Default: no JWT check. */
  jwt?: JwtOptions<Req> | Built;
  /**
   * `gateway.authorizer(fn, options)` as `{ fn, ...options }`, `[fn, options]` or `fn` alone.
   * Default: no authorizer.
   */
  authorizer?:
    | AuthorizerPipelineOptions
    | readonly [AuthorizerFunction, AuthorizerOptions?]
    | AuthorizerFunction
    | Built;
  /** `gateway.usagePlans()`'s options. Default: no API keys. */
  usagePlans?: UsagePlansOptions<Req> | Built;
  /** `gateway.throttle()`'s options: the stage throttle. Default: none. */
  throttle?: ThrottleOptions<Req> | Built;
  /** `gateway.cache()`'s TTL in seconds or options (`true` for its defaults). Default: no cache. */
  cache?: true | number | CacheOptions<Req> | Built;
  /**
   * `gateway.proxy()`'s target(s), target function or options: the HTTP integration. Default: no
   * proxy. Not with `lambda`: a method has one integration.
   */
  proxy?: TargetUrl | readonly TargetUrl[] | TargetFunction<Req> | ProxyOptions<Req> | Built;
  /**
   * `gateway.lambda(handler, options)` as `{ handler, ...options }`, `[handler, options]` or
   * `handler` alone: the Lambda proxy integration, run in-process. Default: none. Not with
   * `proxy`: a method has one integration.
   */
  lambda?:
    | LambdaPipelineOptions
    // biome-ignore lint/suspicious/noExplicitAny: the handler picks its own event type.
    | readonly [LambdaHandler<any>, LambdaOptions?]
    // biome-ignore lint/suspicious/noExplicitAny: the handler picks its own event type.
    | LambdaHandler<any>
    | Built;
  /**
   * Whether a cache hit takes a stage throttle token and counts against the key's plan throttle
   * and quota, as in API Gateway, which throttles before its cache. `false` serves hits before
   * the stage throttle and the plan's charge (the key is still checked): only misses are
   * charged. @default true
   */
  chargeCacheHits?: boolean;
}

export const PIPELINE_DEFAULTS = {
  chargeCacheHits: true,
} as const satisfies Partial<PipelineOptions>;

/** The pieces in the order they run: API Gateway's. */
export const PIPELINE_ORDER = [
  'cors',
  'resourcePolicy',
  'ipFilter',
  'clientCert',
  'jwt',
  'authorizer',
  'usagePlans',
  'throttle',
  'cache',
  'proxy',
  'lambda',
] as const;

export type PieceName = (typeof PIPELINE_ORDER)[number];
