/** Peer: rate-limiter-flexible's memory limiter as Express middleware, the way its README writes it. */

import express from 'express';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { BODY, serve } from './_common.mjs';

const limiter = new RateLimiterMemory({ points: 1_000_000_000, duration: 60 });
const app = express();
app.use((req, res, next) => {
  limiter
    .consume(req.ip)
    .then(() => next())
    .catch(() => res.status(429).send('Too Many Requests'));
});
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
