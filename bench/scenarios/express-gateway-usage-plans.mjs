/** gateway.usagePlans() in Express: a valid key on a plan with a throttle and a quota. */

import express from 'express';
import { BODY, serve, USAGE_PLANS } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.use(gateway.usagePlans(USAGE_PLANS));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
