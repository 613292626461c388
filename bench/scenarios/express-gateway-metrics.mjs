/** gateway.metrics() in Express: every request counted and timed, /metrics served beside. */

import express from 'express';
import { BODY, serve } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
const metrics = gateway.metrics();
app.use(metrics);
app.get('/metrics', metrics.handler);
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
