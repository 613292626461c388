/** Peer: apicache (memory) hit in front of the same 5 ms handler. */

import apicache from 'apicache';
import express from 'express';
import { BODY, SLOW_MS, serve, sleep } from './_common.mjs';

const app = express();
app.get('/hello', apicache.middleware('5 minutes'), async (_req, res) => {
  await sleep(SLOW_MS);
  res.json(BODY);
});
serve(app);
