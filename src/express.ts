/**
 * `portcullis/express`: the same factories, typed for Express (callbacks receive Express's
 * `Request`; middlewares are `RequestHandler`s). Type-only imports: nothing of Express is loaded.
 */

import type { Request, RequestHandler } from 'express';
import './augment.js';
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

/** The gateway factories typed for Express. */
export interface ExpressGateway {
  accessLog(options?: AccessLogOptions<Request>): RequestHandler & AccessLogExtras;
  cors(options?: CorsOptions<Request>): RequestHandler;
  jwt(options: JwtOptions<Request>): RequestHandler;
  ipFilter(options: IpFilterOptions): RequestHandler;
  resourcePolicy(
    policy: ResourcePolicyDocument | string,
    options?: ResourcePolicyOptions,
  ): RequestHandler;
  clientCert(options?: ClientCertOptions): RequestHandler;
  cache(ttlOrOptions?: number | CacheOptions<Request>): RequestHandler & CacheControls;
  throttle(options: ThrottleOptions<Request>): RequestHandler;
  authorizer(
    fn: AuthorizerFunction,
    options?: AuthorizerOptions,
  ): RequestHandler & AuthorizerControls;
  usagePlans(options: UsagePlansOptions<Request>): RequestHandler & KeyManagement;
  proxy(
    target: TargetUrl | readonly TargetUrl[] | TargetFunction<Request> | ProxyOptions<Request>,
  ): RequestHandler & ProxyExtras;
  lambda<E = LambdaEvent>(handler: LambdaHandler<E>, options?: LambdaOptions): RequestHandler;
  metrics(options?: MetricsOptions): RequestHandler & { readonly handler: RequestHandler };
  pipeline(options: PipelineOptions<Request, RequestHandler>): RequestHandler & PipelineExtras;
  openapi(
    document: Record<string, unknown>,
    options?: OpenApiOptions<Request>,
  ): RequestHandler & OpenApiExtras;
}

export const gateway: ExpressGateway = neutralGateway as unknown as ExpressGateway;
export const accessLog: ExpressGateway['accessLog'] = gateway.accessLog;
export const cors: ExpressGateway['cors'] = gateway.cors;
export const jwt: ExpressGateway['jwt'] = gateway.jwt;
export const ipFilter: ExpressGateway['ipFilter'] = gateway.ipFilter;
export const resourcePolicy: ExpressGateway['resourcePolicy'] = gateway.resourcePolicy;
export const clientCert: ExpressGateway['clientCert'] = gateway.clientCert;
export const cache: ExpressGateway['cache'] = gateway.cache;
export const throttle: ExpressGateway['throttle'] = gateway.throttle;
export const authorizer: ExpressGateway['authorizer'] = gateway.authorizer;
export const usagePlans: ExpressGateway['usagePlans'] = gateway.usagePlans;
export { memoryStore } from './stores/memory/index.js';
export const proxy: ExpressGateway['proxy'] = gateway.proxy;
export const lambda: ExpressGateway['lambda'] = gateway.lambda;
export const metrics: ExpressGateway['metrics'] = gateway.metrics;
export const pipeline: ExpressGateway['pipeline'] = gateway.pipeline;
export const openapi: ExpressGateway['openapi'] = gateway.openapi;
