/** The whole front door in Express as one `gateway.pipeline()`: cors + usagePlans + throttle + a cache hit on the 5 ms route. */

import express from 'express';
import { BODY, FRONT_DOOR, SLOW_MS, serve, sleep } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.get('/hello', gateway.pipeline(FRONT_DOOR), async (_req, res) => {
  await sleep(SLOW_MS);
  res.json(BODY);
});
serve(app);
