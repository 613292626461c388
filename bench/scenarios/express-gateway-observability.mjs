/** gateway.accessLog() + gateway.metrics() in Express: a JSON line to /dev/null and the series of every request. */

import { openSync } from 'node:fs';
import express from 'express';
import { BODY, serve } from './_common.mjs';
import { DEV_NULL } from './_logs.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
const metrics = gateway.metrics();
app.use(gateway.accessLog({ destination: openSync(DEV_NULL, 'w') }));
app.use(metrics);
app.get('/metrics', metrics.handler);
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
