/** gateway.accessLog() in Express: one JSON line per request, to /dev/null. */

import { openSync } from 'node:fs';
import express from 'express';
import { BODY, serve } from './_common.mjs';
import { DEV_NULL } from './_logs.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.use(gateway.accessLog({ destination: openSync(DEV_NULL, 'w') }));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
