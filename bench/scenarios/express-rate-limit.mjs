/** Peer: express-rate-limit (memory store), sending the IETF RateLimit headers as gateway.throttle does. */

import express from 'express';
import { rateLimit } from 'express-rate-limit';
import { BODY, serve } from './_common.mjs';

const app = express();
app.use(
  rateLimit({
    windowMs: 60_000,
    limit: 1_000_000_000,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
  }),
);
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
