/** gateway.accessLog() in Koa: one JSON line per request, to /dev/null. */

import { openSync } from 'node:fs';
import Koa from 'koa';
import { BODY, serve } from './_common.mjs';
import { DEV_NULL } from './_logs.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.accessLog({ destination: openSync(DEV_NULL, 'w') }));
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
