/** Export-name snapshots per entry point: an API change shows up in review. */

import { describe, expect, it } from 'vitest';
import * as expressEntry from '../../src/express.js';
import * as neutral from '../../src/index.js';
import * as koaEntry from '../../src/koa.js';
import * as rateLimiterFlexibleEntry from '../../src/rate-limiter-flexible.js';
import * as redisEntry from '../../src/redis.js';

describe('public exports', () => {
  it('portcullis', () => {
    expect(Object.keys(neutral).sort()).toMatchInlineSnapshot(`
      [
        "ACCESS_LOG_DEFAULTS",
        "AUTHORIZER_ARN_DEFAULTS",
        "AUTHORIZER_DEFAULTS",
        "CACHE_DEFAULTS",
        "CLF_TEMPLATE",
        "CLIENT_CERT_DEFAULTS",
        "CORS_DEFAULTS",
        "GATEWAY_RESPONSES",
        "IP_FILTER_DEFAULTS",
        "JWT_DEFAULTS",
        "LAMBDA_DEFAULTS",
        "MEMORY_STORE_DEFAULTS",
        "METRICS_DEFAULTS",
        "OPENAPI_DEFAULTS",
        "PIPELINE_DEFAULTS",
        "PIPELINE_ORDER",
        "PROXY_DEFAULTS",
        "REDACTED",
        "RESOURCE_POLICY_DEFAULTS",
        "TEMPLATE_VARIABLES",
        "THROTTLE_DEFAULTS",
        "USAGE_PLANS_DEFAULTS",
        "accessLog",
        "authorizer",
        "cache",
        "clientCert",
        "cors",
        "gateway",
        "ipFilter",
        "jwt",
        "lambda",
        "memoryCacheStore",
        "memoryStore",
        "metrics",
        "openapi",
        "pipeline",
        "proxy",
        "resourcePolicy",
        "systemClock",
        "throttle",
        "usagePlans",
      ]
    `);
    expect(Object.keys(neutral.gateway).sort()).toMatchInlineSnapshot(`
      [
        "accessLog",
        "authorizer",
        "cache",
        "clientCert",
        "cors",
        "ipFilter",
        "jwt",
        "lambda",
        "metrics",
        "openapi",
        "pipeline",
        "proxy",
        "resourcePolicy",
        "throttle",
        "usagePlans",
      ]
    `);
  });

  it('portcullis/express', () => {
    expect(Object.keys(expressEntry).sort()).toMatchInlineSnapshot(`
      [
        "accessLog",
        "authorizer",
        "cache",
        "clientCert",
        "cors",
        "gateway",
        "ipFilter",
        "jwt",
        "lambda",
        "memoryStore",
        "metrics",
        "openapi",
        "pipeline",
        "proxy",
        "resourcePolicy",
        "throttle",
        "usagePlans",
      ]
    `);
  });

  it('portcullis/koa', () => {
    expect(Object.keys(koaEntry).sort()).toMatchInlineSnapshot(`
      [
        "accessLog",
        "authorizer",
        "cache",
        "clientCert",
        "cors",
        "gateway",
        "ipFilter",
        "jwt",
        "lambda",
        "memoryStore",
        "metrics",
        "openapi",
        "pipeline",
        "proxy",
        "resourcePolicy",
        "throttle",
        "usagePlans",
      ]
    `);
  });

  it('portcullis/redis', () => {
    expect(Object.keys(redisEntry).sort()).toMatchInlineSnapshot(`
      [
        "REDIS_STORE_DEFAULTS",
        "StoreTimeoutError",
        "StoreUnavailableError",
        "redisStore",
      ]
    `);
  });

  it('portcullis/rate-limiter-flexible', () => {
    expect(Object.keys(rateLimiterFlexibleEntry).sort()).toMatchInlineSnapshot(`
      [
        "RATE_LIMITER_FLEXIBLE_QUOTA_DEFAULTS",
        "rateLimiterFlexibleQuota",
      ]
    `);
  });
});
