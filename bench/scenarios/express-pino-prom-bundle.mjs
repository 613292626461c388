/** Peers together: pino-http (JSON lines to /dev/null) and express-prom-bundle (method, path and status labels). */

import express from 'express';
import promBundle from 'express-prom-bundle';
import { pinoHttp } from 'pino-http';
import { BODY, serve } from './_common.mjs';
import { pinoToDevNull } from './_logs.mjs';

const app = express();
app.use(pinoHttp({}, pinoToDevNull()));
app.use(promBundle({ includeMethod: true, includePath: true, includeStatusCode: true }));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
