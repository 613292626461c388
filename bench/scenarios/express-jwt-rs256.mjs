/** Peer: express-jwt, RS256: every request re-sends the same valid token. */

import express from 'express';
import { expressjwt } from 'express-jwt';
import { BODY, serve } from './_common.mjs';
import { RSA_PUBLIC_KEY } from './_jwt.mjs';

const app = express();
app.use(expressjwt({ secret: RSA_PUBLIC_KEY, algorithms: ['RS256'] }));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
