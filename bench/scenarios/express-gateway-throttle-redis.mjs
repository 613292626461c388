/** gateway.throttle() in Express on redisStore, limits that never trigger. */

import express from 'express';
import { BODY, NEVER_THROTTLE, serve } from './_common.mjs';
import { gateway } from './_portcullis.mjs';
import { benchRedisStore } from './_redis.mjs';

const app = express();
app.use(gateway.throttle({ ...NEVER_THROTTLE, store: await benchRedisStore('bench-throttle:') }));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
