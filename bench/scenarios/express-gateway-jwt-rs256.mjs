/** gateway.jwt() in Express, RS256: every request re-sends the same valid token. */

import express from 'express';
import { BODY, serve } from './_common.mjs';
import { RSA_PUBLIC_KEY } from './_jwt.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.use(gateway.jwt({ publicKey: RSA_PUBLIC_KEY, algorithms: ['RS256'] }));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
