/** gateway.throttle() in Koa, limits that never trigger. */

import Koa from 'koa';
import { BODY, NEVER_THROTTLE, serve } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.throttle(NEVER_THROTTLE));
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
