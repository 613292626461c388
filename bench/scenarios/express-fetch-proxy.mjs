/**
 * Reference engine: the proxy route forwarding with Node's built-in `fetch` (undici inside, the
 * engine of @fastify/reply-from; undici itself is not a dependency of the bench). The minimum a
 * forwarder does: method, path and headers out (hop-by-hop removed), status, headers and body
 * back, on undici's keep-alive pool. Not a proxy to use: no smuggling defences, no timeouts,
 * no X-Forwarded-*; it shows what the engine alone costs.
 */

import { Readable } from 'node:stream';
import express from 'express';
import { serve, upstream } from './_common.mjs';

const target = upstream();
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
  'host',
  'content-length',
]);

const app = express();
app.use('/hello', async (req, res, next) => {
  try {
    const headers = {};
    for (const [name, value] of Object.entries(req.headers))
      if (!HOP_BY_HOP.has(name)) headers[name] = value;
    const answer = await fetch(target + req.originalUrl, { method: req.method, headers });
    res.statusCode = answer.status;
    for (const [name, value] of answer.headers)
      if (!HOP_BY_HOP.has(name)) res.setHeader(name, value);
    if (answer.body === null) res.end();
    else Readable.fromWeb(answer.body).pipe(res);
  } catch (err) {
    next(err);
  }
});
serve(app);
