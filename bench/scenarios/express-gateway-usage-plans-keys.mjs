/**
 * gateway.usagePlans() in Express with N keys on the plan (first argument, default 1,000), and
 * requests from every one of them in turn (second argument `rotate`), or all from the bench's
 * key (`same`, the default). The load generator sends one key, so a rotating server reads the
 * key through `keySource`, the next of the N on each request: each key comes back once every N
 * requests, the worst order for the process's key cache (`keyCacheSize`, third argument; 0 for
 * its default).
 *
 * A run sends far fewer than 100,000 requests, so before it starts every key is seen once, as a
 * server that has been up for a while has seen its callers: the middleware is called directly,
 * Koa-style (it takes Express's or Koa's arguments), once per key.
 */

import http from 'node:http';
import { Socket } from 'node:net';
import express from 'express';
import { API_KEY, BODY, countArgument, serveAfter, USAGE_PLANS } from './_common.mjs';
import { gateway, memoryStore } from './_portcullis.mjs';

const count = countArgument(1_000);
const rotate = process.argv[3] === 'rotate';
const keyCacheSize = Number(process.argv[4]) || undefined;
/**
 * `sweep=<ms>` (fifth argument): the memory store's `sweepIntervalMs`. Its timer passes over every
 * quota counter at once, so with 100,000 keys it costs per second, not per request: under
 * callgrind, tens of times slower than a real run, each request carries tens of times its share.
 */
const sweepMs = Number(process.argv[5]?.replace('sweep=', '')) || undefined;
const keys = [
  ...USAGE_PLANS.keys,
  ...Array.from({ length: count - 1 }, (_, i) => ({
    id: `caller-${i}`,
    key: `bench-caller-${String(i).padStart(8, '0')}-key`,
    plan: 'pro',
  })),
];
let turn = 0;
/** Express's `req` or, while warming, a Koa-shaped context. */
const headersOf = (req) => req.headers ?? req.req.headers;
const plans = gateway.usagePlans({
  ...USAGE_PLANS,
  keys,
  ...(keyCacheSize === undefined ? {} : { keyCacheSize }),
  ...(sweepMs === undefined ? {} : { store: memoryStore({ sweepIntervalMs: sweepMs }) }),
  // A request without `x-api-key` is still refused: the rotation only replaces the bench's key.
  ...(rotate
    ? {
        keySource: (req) =>
          headersOf(req)['x-api-key'] === API_KEY ? keys[turn++ % count].key : undefined,
      }
    : {}),
});
const app = express();
app.use(plans);
app.get('/hello', (_req, res) => res.json(BODY));

serveAfter(app, async () => {
  if (!rotate) return;
  const next = () => Promise.resolve();
  for (let i = 0; i < count; i++) {
    const req = new http.IncomingMessage(new Socket());
    req.method = 'GET';
    req.url = '/hello';
    req.headers = { 'x-api-key': API_KEY };
    const ctx = { req, res: new http.ServerResponse(req), state: {}, path: '/hello' };
    ctx.originalUrl = '/hello';
    await plans(ctx, next);
  }
  turn = 0;
});
