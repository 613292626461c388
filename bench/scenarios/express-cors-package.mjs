/** Peer: the `cors` package, same allowed origin as gateway.cors. */

import cors from 'cors';
import express from 'express';
import { BODY, ORIGIN, serve } from './_common.mjs';

const app = express();
app.use(cors({ origin: [ORIGIN] }));
app.get('/hello', (_req, res) => res.json(BODY));
serve(app);
