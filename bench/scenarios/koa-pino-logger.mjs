/** Peer: koa-pino-logger (pino-http underneath) in Koa, one JSON line per request, to /dev/null. */

import Koa from 'koa';
import koaPino from 'koa-pino-logger';
import { BODY, serve } from './_common.mjs';
import { pinoToDevNull } from './_logs.mjs';

const app = new Koa();
app.use(koaPino({}, pinoToDevNull()));
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
