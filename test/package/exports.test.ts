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
        "CACHE_DEFAULTS",
        "CORS_DEFAULTS",
        "GATEWAY_RESPONSES",
        "MEMORY_STORE_DEFAULTS",
        "METRICS_DEFAULTS",
        "PROXY_DEFAULTS",
        "THROTTLE_DEFAULTS",
        "USAGE_PLANS_DEFAULTS",
        "cache",
        "cors",
        "gateway",
        "memoryCacheStore",
        "memoryStore",
        "metrics",
        "proxy",
        "systemClock",
        "throttle",
        "usagePlans",
      ]
    `);
    expect(Object.keys(neutral.gateway).sort()).toMatchInlineSnapshot(`
      [
        "cache",
        "cors",
        "metrics",
        "proxy",
        "throttle",
        "usagePlans",
      ]
    `);
  });

  it('portcullis/express', () => {
    expect(Object.keys(expressEntry).sort()).toMatchInlineSnapshot(`
      [
        "cache",
        "cors",
        "gateway",
        "memoryStore",
        "metrics",
        "proxy",
        "throttle",
        "usagePlans",
      ]
    `);
  });

  it('portcullis/koa', () => {
    expect(Object.keys(koaEntry).sort()).toMatchInlineSnapshot(`
      [
        "cache",
        "cors",
        "gateway",
        "memoryStore",
        "metrics",
        "proxy",
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
