/** gateway.proxy() in Express to the local upstream (keep-alive is its default). */

import express from 'express';
import { serve, upstream } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.use('/hello', gateway.proxy(upstream()));
serve(app);
