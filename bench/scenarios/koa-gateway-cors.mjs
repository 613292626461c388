/** gateway.cors() in Koa: cross-origin GET and preflight. */

import Koa from 'koa';
import { BODY, ORIGIN, serve } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.cors({ origin: [ORIGIN] }));
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
