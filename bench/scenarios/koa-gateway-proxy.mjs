/** gateway.proxy() in Koa to the local upstream. */

import Koa from 'koa';
import { serve, upstream } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.proxy(upstream()));
serve(app.callback());
