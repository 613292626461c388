/**
 * `portcullis/koa`: the same factories, typed for Koa (callbacks receive Koa's `Context`;
 * middlewares are `Koa.Middleware`s). Type-only imports: nothing of Koa is loaded.
 */

import type { Context, Middleware } from 'koa';
import { gateway as neutralGateway } from './gateway.js';
import type { AccessLogExtras, AccessLogOptions } from './middleware/access-log/index.js';
import type {
  AuthorizerControls,
  AuthorizerFunction,
  AuthorizerOptions,
} from './middleware/authorizer/index.js';
import type { CacheControls, CacheOptions } from './middleware/cache/index.js';
import type { ClientCertOptions } from './middleware/client-cert/index.js';
import type { CorsOptions } from './middleware/cors/index.js';
import type { IpFilterOptions } from './middleware/ip-filter/index.js';
import type { JwtOptions } from './middleware/jwt/index.js';
import type { LambdaEvent, LambdaHandler, LambdaOptions } from './middleware/lambda/index.js';
import type { MetricsOptions } from './middleware/metrics/index.js';
import type { OpenApiExtras, OpenApiOptions } from './middleware/openapi/index.js';
import type { PipelineExtras, PipelineOptions } from './middleware/pipeline/index.js';
import type {
  ProxyExtras,
  ProxyOptions,
  TargetFunction,
  TargetUrl,
} from './middleware/proxy/index.js';
import type {
  ResourcePolicyDocument,
  ResourcePolicyOptions,
} from './middleware/resource-policy/index.js';
import type { ThrottleOptions } from './middleware/throttle/index.js';
import type { KeyManagement, UsagePlansOptions } from './middleware/usage-plans/index.js';

export type { ClientCertInfo, GatewayContext } from './core/context.js';
export type { ErrorResponseOptions } from './core/errors.js';
export type {
  CacheControls,
  CacheStats,
  CacheStore,
  Principal,
} from './index.js';
export type { AccessLogOptions, AccessLogRecord } from './middleware/access-log/index.js';
export type {
  AuthorizerEvent,
  AuthorizerOptions,
  AuthorizerResult,
} from './middleware/authorizer/index.js';
export type { ClientCertOptions, ClientCertRule } from './middleware/client-cert/index.js';
export type { IpFilterOptions } from './middleware/ip-filter/index.js';
export type { LambdaEventV1, LambdaEventV2, LambdaOptions } from './middleware/lambda/index.js';
export type { MetricsOptions } from './middleware/metrics/index.js';
export type { OpenApiExtras, OpenApiOptions } from './middleware/openapi/index.js';
export type { PipelineExtras, PipelineOptions } from './middleware/pipeline/index.js';
export type { ProxyExtras, ProxyOptions } from './middleware/proxy/index.js';
export type {
  ResourcePolicyDocument,
  ResourcePolicyOptions,
} from './middleware/resource-policy/index.js';

/** The gateway factories typed for Koa. `ctx.state.gateway` holds the per-request context. */
export interface KoaGateway {
  accessLog(options?: AccessLogOptions<Context>): Middleware & AccessLogExtras;
  cors(options?: CorsOptions<Context>): Middleware;
  jwt(options: JwtOptions<Context>): Middleware;
  ipFilter(options: IpFilterOptions): Middleware;
  resourcePolicy(
    policy: ResourcePolicyDocument | string,
    options?: ResourcePolicyOptions,
  ): Middleware;
  clientCert(options?: ClientCertOptions): Middleware;
  cache(ttlOrOptions?: number | CacheOptions<Context>): Middleware & CacheControls;
  throttle(options: ThrottleOptions<Context>): Middleware;
  authorizer(fn: AuthorizerFunction, options?: AuthorizerOptions): Middleware & AuthorizerControls;
  usagePlans(options: UsagePlansOptions<Context>): Middleware & KeyManagement;
  proxy(
    target: TargetUrl | readonly TargetUrl[] | TargetFunction<Context> | ProxyOptions<Context>,
  ): Middleware & ProxyExtras;
  lambda<E = LambdaEvent>(handler: LambdaHandler<E>, options?: LambdaOptions): Middleware;
  metrics(options?: MetricsOptions): Middleware & { readonly handler: Middleware };
  pipeline(options: PipelineOptions<Context, Middleware>): Middleware & PipelineExtras;
  openapi(
    document: Record<string, unknown>,
    options?: OpenApiOptions<Context>,
  ): Middleware & OpenApiExtras;
}

export const gateway: KoaGateway = neutralGateway as unknown as KoaGateway;
export const accessLog: KoaGateway['accessLog'] = gateway.accessLog;
export const cors: KoaGateway['cors'] = gateway.cors;
export const jwt: KoaGateway['jwt'] = gateway.jwt;
export const ipFilter: KoaGateway['ipFilter'] = gateway.ipFilter;
export const resourcePolicy: KoaGateway['resourcePolicy'] = gateway.resourcePolicy;
export const clientCert: KoaGateway['clientCert'] = gateway.clientCert;
export const cache: KoaGateway['cache'] = gateway.cache;
export const throttle: KoaGateway['throttle'] = gateway.throttle;
export const authorizer: KoaGateway['authorizer'] = gateway.authorizer;
export const usagePlans: KoaGateway['usagePlans'] = gateway.usagePlans;
export { memoryStore } from './stores/memory/index.js';
export const proxy: KoaGateway['proxy'] = gateway.proxy;
export const lambda: KoaGateway['lambda'] = gateway.lambda;
export const metrics: KoaGateway['metrics'] = gateway.metrics;
export const pipeline: KoaGateway['pipeline'] = gateway.pipeline;
export const openapi: KoaGateway['openapi'] = gateway.openapi;
