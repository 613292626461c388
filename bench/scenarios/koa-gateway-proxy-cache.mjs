/** A cache hit on a proxied route in Koa: gateway.cache() before gateway.proxy(). */

import Koa from 'koa';
import { serve, upstream } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.cache(300));
app.use(gateway.proxy(upstream()));
serve(app.callback());
