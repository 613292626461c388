/** Baseline: bare Koa 3 answering JSON (also the "no-op handler" of the cache case). */

import Koa from 'koa';
import { BODY, serve } from './_common.mjs';

const app = new Koa();
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
