/** The whole front door in Koa: cors + usagePlans + throttle + a cache hit on the 5 ms route. */

import Koa from 'koa';
import {
  BODY,
  CACHE_TTL,
  NEVER_THROTTLE,
  ORIGIN,
  SLOW_MS,
  serve,
  sleep,
  USAGE_PLANS,
} from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.cors({ origin: [ORIGIN] }));
app.use(gateway.usagePlans(USAGE_PLANS));
app.use(gateway.throttle(NEVER_THROTTLE));
app.use(gateway.cache(CACHE_TTL));
app.use(async (ctx) => {
  await sleep(SLOW_MS);
  ctx.body = BODY;
});
serve(app.callback());
