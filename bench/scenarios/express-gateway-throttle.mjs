/** gateway.throttle() in Express, limits that never trigger. */

import express from 'express';
import { BODY, NEVER_THROTTLE, serve } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.use(gateway.throttle(NEVER_THROTTLE));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
