/**
 * Peers together in Koa: koa-pino-logger (JSON lines to /dev/null) and the prom-client middleware
 * Koa apps usually write (see _prom-client-koa.mjs).
 */

import Koa from 'koa';
import koaPino from 'koa-pino-logger';
import { BODY, serve } from './_common.mjs';
import { pinoToDevNull } from './_logs.mjs';
import { promClientMiddleware } from './_prom-client-koa.mjs';

const app = new Koa();
app.use(koaPino({}, pinoToDevNull()));
app.use(promClientMiddleware);
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
