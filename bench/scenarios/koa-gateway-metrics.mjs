/** gateway.metrics() in Koa: every request counted and timed, /metrics served beside. */

import Koa from 'koa';
import { BODY, serve } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
const metrics = gateway.metrics();
app.use(metrics);
app.use(metrics.handler);
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
