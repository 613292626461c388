/** Peer: the prom-client middleware Koa apps usually write (see _prom-client-koa.mjs). */

import Koa from 'koa';
import { BODY, serve } from './_common.mjs';
import { promClientMiddleware } from './_prom-client-koa.mjs';

const app = new Koa();
app.use(promClientMiddleware);
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
