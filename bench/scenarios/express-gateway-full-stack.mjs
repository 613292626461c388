/** The whole front door in Express: cors + usagePlans + throttle + a cache hit on the 5 ms route. */

import express from 'express';
import {
  BODY,
  CACHE_TTL,
  NEVER_THROTTLE,
  ORIGIN,
  SLOW_MS,
  serve,
  sleep,
  USAGE_PLANS,
} from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.use(gateway.cors({ origin: [ORIGIN] }));
app.use(gateway.usagePlans(USAGE_PLANS));
app.use(gateway.throttle(NEVER_THROTTLE));
app.get('/hello', gateway.cache(CACHE_TTL), async (_req, res) => {
  await sleep(SLOW_MS);
  res.json(BODY);
});
serve(app);
