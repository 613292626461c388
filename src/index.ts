/** portcullis: API gateway middlewares for Express and Koa. Neutral entry: never imports a framework. */

import './augment.js';

export type { Clock } from './core/clock.js';
export { systemClock } from './core/clock.js';
export type {
  ApiKeyInfo,
  ClientCertInfo,
  GatewayContext,
  IntegrationErrorKind,
  Principal,
  ThrottleInfo,
} from './core/context.js';
export {
  type ErrorResponseOptions,
  GATEWAY_RESPONSES,
  type GatewayResponseKind,
} from './core/errors.js';
export type {
  AnyRequest,
  ExpressNext,
  GatewayMiddleware,
  KoaContextLike,
} from './core/middleware.js';
export type { TraceContext } from './core/trace.js';
export { type Gateway, gateway } from './gateway.js';
export {
  ACCESS_LOG_DEFAULTS,
  type AccessLogExtras,
  type AccessLogger,
  type AccessLogMiddleware,
  type AccessLogOptions,
  type AccessLogRecord,
  accessLog,
  type CacheStatus,
  CLF_TEMPLATE,
  type Destination,
  REDACTED,
  type RecordFormatter,
  TEMPLATE_VARIABLES,
} from './middleware/access-log/index.js';
export {
  AUTHORIZER_ARN_DEFAULTS,
  AUTHORIZER_DEFAULTS,
  type AuthorizerArnOptions,
  type AuthorizerContextValue,
  type AuthorizerControls,
  type AuthorizerEvent,
  type AuthorizerFunction,
  type AuthorizerMiddleware,
  type AuthorizerOptions,
  type AuthorizerPolicyResult,
  type AuthorizerRequestEvent,
  type AuthorizerResponses,
  type AuthorizerResult,
  type AuthorizerSimpleResult,
  type AuthorizerStatement,
  type AuthorizerTokenEvent,
  authorizer,
} from './middleware/authorizer/index.js';
export {
  CACHE_DEFAULTS,
  type CacheControls,
  type CacheMiddleware,
  type CacheOptions,
  type CacheStats,
  cache,
  type InvalidationPredicate,
  type InvalidationTarget,
} from './middleware/cache/index.js';
export {
  CLIENT_CERT_DEFAULTS,
  type ClientCertOptions,
  type ClientCertRule,
  clientCert,
} from './middleware/client-cert/index.js';
export {
  CORS_DEFAULTS,
  type CorsOptions,
  cors,
  type OriginPredicate,
} from './middleware/cors/index.js';
export {
  IP_FILTER_DEFAULTS,
  type IpFilterOptions,
  ipFilter,
} from './middleware/ip-filter/index.js';
export {
  JWT_DEFAULTS,
  type JwtAlgorithm,
  type JwtOptions,
  type JwtResponses,
  type JwtTokenGetter,
  type JwtTokenSources,
  jwt,
} from './middleware/jwt/index.js';
export {
  LAMBDA_DEFAULTS,
  type LambdaCallback,
  type LambdaClientCert,
  type LambdaContext,
  type LambdaErrorDetails,
  type LambdaEvent,
  type LambdaEventAuthorizerV1,
  type LambdaEventAuthorizerV2,
  type LambdaEventIdentity,
  type LambdaEventV1,
  type LambdaEventV2,
  type LambdaHandler,
  type LambdaOptions,
  type LambdaResult,
  lambda,
} from './middleware/lambda/index.js';
export {
  METRICS_DEFAULTS,
  type MetricsMiddleware,
  type MetricsOptions,
  type MetricsRegistry,
  type MetricsStoreSource,
  metrics,
} from './middleware/metrics/index.js';
export {
  type CanaryOptions,
  OPENAPI_DEFAULTS,
  type OpenApiExtras,
  type OpenApiLambdaHandler,
  type OpenApiMiddleware,
  type OpenApiOptions,
  openapi,
  type StageOptions,
  type UnsupportedItem,
  type UnsupportedReport,
} from './middleware/openapi/index.js';
export {
  type AuthorizerPipelineOptions,
  type LambdaPipelineOptions,
  PIPELINE_DEFAULTS,
  PIPELINE_ORDER,
  type PieceName,
  type PipelineExtras,
  type PipelineMiddleware,
  type PipelineOptions,
  type PipelinePieces,
  pipeline,
  type ResourcePolicyPipelineOptions,
} from './middleware/pipeline/index.js';
export {
  type HeaderTransforms,
  type PathRewriteFunction,
  PROXY_DEFAULTS,
  type ProxyExtras,
  type ProxyMiddleware,
  type ProxyOptions,
  proxy,
  type TargetFunction,
  type TargetUrl,
  type UpgradeHandler,
} from './middleware/proxy/index.js';
export {
  RESOURCE_POLICY_DEFAULTS,
  type ResourcePolicyDocument,
  type ResourcePolicyOptions,
  type ResourcePolicyStatement,
  type ResourcePolicyWarning,
  resourcePolicy,
} from './middleware/resource-policy/index.js';
export {
  type StoreErrorMode,
  THROTTLE_DEFAULTS,
  type ThrottleKey,
  type ThrottleOptions,
  throttle,
} from './middleware/throttle/index.js';
export {
  type ApiKeyInput,
  type DayInput,
  type KeyManagement,
  type PlanOptions,
  type PlanQuota,
  type PlanThrottle,
  type QuotaPeriod,
  USAGE_PLANS_DEFAULTS,
  type UsageDay,
  type UsagePlansMiddleware,
  type UsagePlansOptions,
  type UsagePlansResponses,
  type UsageReport,
  usagePlans,
} from './middleware/usage-plans/index.js';
export type { AuthorizerResultStore } from './stores/authorizer.js';
export type { CacheEntry, CacheGenerations, CacheStore, CacheUsage } from './stores/cache.js';
export { type MemoryCacheStoreOptions, memoryCacheStore } from './stores/memory/cache.js';
export {
  MEMORY_STORE_DEFAULTS,
  type MemoryStore,
  type MemoryStoreOptions,
  memoryStore,
} from './stores/memory/index.js';
export type {
  BucketParams,
  BucketResult,
  BucketStep,
  ExpectedKey,
  GatewayStore,
  KeyRecord,
  KeyStore,
  PlanOutcome,
  PlanStore,
  QuotaParams,
  QuotaResult,
  QuotaStep,
  QuotaStore,
  RateStore,
} from './stores/types.js';
