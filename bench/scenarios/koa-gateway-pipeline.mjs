/** The whole front door in Koa as one `gateway.pipeline()`: cors + usagePlans + throttle + a cache hit on the 5 ms route. */

import Koa from 'koa';
import { BODY, FRONT_DOOR, SLOW_MS, serve, sleep } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.pipeline(FRONT_DOOR));
app.use(async (ctx) => {
  await sleep(SLOW_MS);
  ctx.body = BODY;
});
serve(app.callback());
