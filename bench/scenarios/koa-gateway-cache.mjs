/** gateway.cache() in Koa: a hit in front of a handler that takes 5 ms. */

import Koa from 'koa';
import { BODY, SLOW_MS, serve, sleep } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.cache(300));
app.use(async (ctx) => {
  await sleep(SLOW_MS);
  ctx.body = BODY;
});
serve(app.callback());
