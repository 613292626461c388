/** gateway.authorizer() in Express: a result-cache hit of an IAM policy, evaluated for the request. */

import express from 'express';
import { AUTHORIZER, BODY, serve } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.use(gateway.authorizer(...AUTHORIZER));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
