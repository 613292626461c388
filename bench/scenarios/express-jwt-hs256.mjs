/** Peer: express-jwt, HS256: every request re-sends the same valid token. */

import express from 'express';
import { expressjwt } from 'express-jwt';
import { BODY, serve } from './_common.mjs';
import { HS256_SECRET } from './_jwt.mjs';

const app = express();
app.use(expressjwt({ secret: HS256_SECRET, algorithms: ['HS256'] }));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
