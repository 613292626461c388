/** gateway.cache() in Koa: a hit in front of a handler that takes 5 ms. */

import Koa from 'koa';
import { BODY, CACHE_WITHOUT_KEYS, SLOW_MS, serve, sleep } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.cache(CACHE_WITHOUT_KEYS));
app.use(async (ctx) => {
  await sleep(SLOW_MS);
  ctx.body = BODY;
});
serve(app.callback());
