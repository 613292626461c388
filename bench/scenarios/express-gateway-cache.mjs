/** gateway.cache() in Express: a hit in front of a handler that takes 5 ms. */

import express from 'express';
import { BODY, SLOW_MS, serve, sleep } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.get('/hello', gateway.cache(300), async (_req, res) => {
  await sleep(SLOW_MS);
  res.json(BODY);
});
serve(app);
