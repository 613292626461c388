/** A cache hit on a proxied route in Express: gateway.cache() before gateway.proxy(). */

import express from 'express';
import { serve, upstream } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.use('/hello', gateway.cache(300), gateway.proxy(upstream()));
serve(app);
