/** The whole front door in Express as one `gateway.pipeline()`: cors + usagePlans + throttle + a cache hit on the 5 ms route. */

import express from 'express';
import { BODY, NEVER_THROTTLE, ORIGIN, SLOW_MS, serve, sleep, USAGE_PLANS } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
const front = gateway.pipeline({
  cors: { origin: [ORIGIN] },
  usagePlans: USAGE_PLANS,
  throttle: NEVER_THROTTLE,
  cache: 300,
});
app.get('/hello', front, async (_req, res) => {
  await sleep(SLOW_MS);
  res.json(BODY);
});
serve(app);
