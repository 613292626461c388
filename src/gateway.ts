/** The `gateway` namespace: every middleware factory, as one object. */

import { accessLog } from './middleware/access-log/index.js';
import { authorizer } from './middleware/authorizer/index.js';
import { cache } from './middleware/cache/index.js';
import { clientCert } from './middleware/client-cert/index.js';
import { cors } from './middleware/cors/index.js';
import { ipFilter } from './middleware/ip-filter/index.js';
import { jwt } from './middleware/jwt/index.js';
import { lambda } from './middleware/lambda/index.js';
import { metrics } from './middleware/metrics/index.js';
import { openapi } from './middleware/openapi/index.js';
import { pipeline } from './middleware/pipeline/index.js';
import { proxy } from './middleware/proxy/index.js';
import { resourcePolicy } from './middleware/resource-policy/index.js';
import { throttle } from './middleware/throttle/index.js';
import { usagePlans } from './middleware/usage-plans/index.js';

/**
 * All portcullis middlewares. Each factory validates its options at once (throwing a
 * `TypeError`/`RangeError` that names the option) and returns one function that works as
 * Express and as Koa middleware.
 */
export const gateway = Object.freeze({
  accessLog,
  cors,
  jwt,
  ipFilter,
  resourcePolicy,
  clientCert,
  cache,
  authorizer,
  usagePlans,
  throttle,
  proxy,
  lambda,
  metrics,
  pipeline,
  openapi,
});

export type Gateway = typeof gateway;
