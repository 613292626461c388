/** gateway.authorizer() in Koa: a result-cache hit of an IAM policy, evaluated for the request. */

import Koa from 'koa';
import { AUTHORIZER, BODY, serve } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.authorizer(...AUTHORIZER));
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
