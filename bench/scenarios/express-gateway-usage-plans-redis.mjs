/** gateway.usagePlans() in Express on redisStore: a valid key on a plan with a throttle and a quota. */

import express from 'express';
import { BODY, serve, USAGE_PLANS } from './_common.mjs';
import { gateway } from './_portcullis.mjs';
import { benchRedisStore } from './_redis.mjs';

const app = express();
app.use(gateway.usagePlans({ ...USAGE_PLANS, store: await benchRedisStore('bench-plans:') }));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
