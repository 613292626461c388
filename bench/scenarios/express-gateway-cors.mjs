/** gateway.cors() in Express: cross-origin GET and preflight. */

import express from 'express';
import { BODY, ORIGIN, serve } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.use(gateway.cors({ origin: [ORIGIN] }));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
