/** Peer: @koa/cors with the same allowed origin as gateway.cors. */

import cors from '@koa/cors';
import Koa from 'koa';
import { BODY, ORIGIN, serve } from './_common.mjs';

const app = new Koa();
app.use(cors({ origin: ORIGIN }));
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
