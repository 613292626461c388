/** Peer: pino-http in Express, one JSON line per request, to /dev/null. */

import express from 'express';
import { pinoHttp } from 'pino-http';
import { BODY, serve } from './_common.mjs';
import { pinoToDevNull } from './_logs.mjs';

const app = express();
app.use(pinoHttp({}, pinoToDevNull()));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
