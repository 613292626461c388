/** gateway.accessLog() + gateway.metrics() in Koa: a JSON line to /dev/null and the series of every request. */

import { openSync } from 'node:fs';
import Koa from 'koa';
import { BODY, serve } from './_common.mjs';
import { DEV_NULL } from './_logs.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
const metrics = gateway.metrics();
app.use(gateway.accessLog({ destination: openSync(DEV_NULL, 'w') }));
app.use(metrics);
app.use(metrics.handler);
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
