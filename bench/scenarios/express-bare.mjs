/** Baseline: bare Express 5 answering JSON (also the "no-op handler" of the cache case). */

import express from 'express';
import { BODY, serve } from './_common.mjs';

const app = express();
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
