/** gateway.usagePlans() in Koa: a valid key on a plan with a throttle and a quota. */

import Koa from 'koa';
import { BODY, serve, USAGE_PLANS } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.usagePlans(USAGE_PLANS));
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
