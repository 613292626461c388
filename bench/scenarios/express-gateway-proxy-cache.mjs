/** A cache hit on a proxied route in Express: gateway.cache() before gateway.proxy(). */

import express from 'express';
import { CACHE_WITHOUT_KEYS, serve, upstream } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.use('/hello', gateway.cache(CACHE_WITHOUT_KEYS), gateway.proxy(upstream()));
serve(app);
