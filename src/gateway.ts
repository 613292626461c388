/** The `gateway` namespace: every middleware factory, as one object. */

import { cache } from './middleware/cache/index.js';
import { cors } from './middleware/cors/index.js';
import { metrics } from './middleware/metrics/index.js';
import { proxy } from './middleware/proxy/index.js';
import { throttle } from './middleware/throttle/index.js';
import { usagePlans } from './middleware/usage-plans/index.js';

/**
 * All portcullis middlewares. Each factory validates its options at once (throwing a
 * `TypeError`/`RangeError` that names the option) and returns one function that works as
 * Express and as Koa middleware.
 */
export const gateway = Object.freeze({
  cors,
  cache,
  throttle,
  usagePlans,
  proxy,
  metrics,
});

export type Gateway = typeof gateway;
