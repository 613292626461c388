/** gateway.cache() in Express: a hit in front of a handler that takes 5 ms. */

import express from 'express';
import { BODY, CACHE_WITHOUT_KEYS, SLOW_MS, serve, sleep } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.get('/hello', gateway.cache(CACHE_WITHOUT_KEYS), async (_req, res) => {
  await sleep(SLOW_MS);
  res.json(BODY);
});
serve(app);
