/** Peer: express-prom-bundle with method, path and status code labels (as gateway.metrics() has). */

import express from 'express';
import promBundle from 'express-prom-bundle';
import { BODY, serve } from './_common.mjs';

const app = express();
app.use(promBundle({ includeMethod: true, includePath: true, includeStatusCode: true }));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
