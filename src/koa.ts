/**
 * `portcullis/koa`: the same factories, typed for Koa (callbacks receive Koa's `Context`;
 * middlewares are `Koa.Middleware`s). Type-only imports: nothing of Koa is loaded.
 */

import type { Context, Middleware } from 'koa';
import { gateway as neutralGateway } from './gateway.js';
import type { CacheControls, CacheOptions } from './middleware/cache/index.js';
import type { CorsOptions } from './middleware/cors/index.js';
import type { MetricsOptions } from './middleware/metrics/index.js';
import type {
  ProxyExtras,
  ProxyOptions,
  TargetFunction,
  TargetUrl,
} from './middleware/proxy/index.js';
import type { ThrottleOptions } from './middleware/throttle/index.js';
import type { KeyManagement, UsagePlansOptions } from './middleware/usage-plans/index.js';

export type { GatewayContext } from './core/context.js';
export type { ErrorResponseOptions } from './core/errors.js';
export type { CacheControls, CacheStats, CacheStore } from './index.js';
export type { MetricsOptions } from './middleware/metrics/index.js';
export type { ProxyExtras, ProxyOptions } from './middleware/proxy/index.js';

/** The gateway factories typed for Koa. `ctx.state.gateway` holds the per-request context. */
export interface KoaGateway {
  cors(options?: CorsOptions<Context>): Middleware;
  cache(ttlOrOptions?: number | CacheOptions<Context>): Middleware & CacheControls;
  throttle(options: ThrottleOptions<Context>): Middleware;
  usagePlans(options: UsagePlansOptions<Context>): Middleware & KeyManagement;
  proxy(
    target: TargetUrl | readonly TargetUrl[] | TargetFunction<Context> | ProxyOptions<Context>,
  ): Middleware & ProxyExtras;
  metrics(options?: MetricsOptions): Middleware & { readonly handler: Middleware };
}

export const gateway: KoaGateway = neutralGateway as unknown as KoaGateway;
export const cors: KoaGateway['cors'] = gateway.cors;
export const cache: KoaGateway['cache'] = gateway.cache;
export const throttle: KoaGateway['throttle'] = gateway.throttle;
export const usagePlans: KoaGateway['usagePlans'] = gateway.usagePlans;
export { memoryStore } from './stores/memory/index.js';
export const proxy: KoaGateway['proxy'] = gateway.proxy;
export const metrics: KoaGateway['metrics'] = gateway.metrics;
