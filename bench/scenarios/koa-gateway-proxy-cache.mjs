/** A cache hit on a proxied route in Koa: gateway.cache() before gateway.proxy(). */

import Koa from 'koa';
import { CACHE_WITHOUT_KEYS, serve, upstream } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.cache(CACHE_WITHOUT_KEYS));
app.use(gateway.proxy(upstream()));
serve(app.callback());
