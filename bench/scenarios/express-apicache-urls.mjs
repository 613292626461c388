/**
 * Peer: apicache (memory) holding N stored URLs (first argument, default 10,000): a hit on
 * `/hello` among them. apicache's store is not reachable from outside, so it is filled through
 * its own middleware at start-up: N - 1 requests to `/u/<i>` (a route answering at once), then
 * `/hello`.
 */

import apicache from 'apicache';
import express from 'express';
import { BODY, countArgument, fillOverHttp, SLOW_MS, serveAfter, sleep } from './_common.mjs';

const count = countArgument(10_000);
const app = express();
// An hour, as the gateway's cases (CACHE_TTL): five minutes expired the 10,000 entries mid-run.
const cached = apicache.middleware('1 hour');
app.get('/hello', cached, async (_req, res) => {
  await sleep(SLOW_MS);
  res.json(BODY);
});
app.get('/u/:i', cached, (_req, res) => res.json(BODY));

serveAfter(app, async (port) => {
  await fillOverHttp(port, count - 1, (i) => `/u/${i + 1}`);
  await fillOverHttp(port, 1, () => '/hello', 1);
});
