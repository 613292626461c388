/** gateway.jwt() in Express, HS256: every request re-sends the same valid token. */

import express from 'express';
import { BODY, serve } from './_common.mjs';
import { HS256_SECRET } from './_jwt.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.use(gateway.jwt({ secret: HS256_SECRET, algorithms: ['HS256'] }));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
