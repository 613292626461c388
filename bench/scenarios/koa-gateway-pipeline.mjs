/** The whole front door in Koa as one `gateway.pipeline()`: cors + usagePlans + throttle + a cache hit on the 5 ms route. */

import Koa from 'koa';
import { BODY, NEVER_THROTTLE, ORIGIN, SLOW_MS, serve, sleep, USAGE_PLANS } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(
  gateway.pipeline({
    cors: { origin: [ORIGIN] },
    usagePlans: USAGE_PLANS,
    throttle: NEVER_THROTTLE,
    cache: 300,
  }),
);
app.use(async (ctx) => {
  await sleep(SLOW_MS);
  ctx.body = BODY;
});
serve(app.callback());
