/** Peer: koa-ratelimit with its memory driver, limits that never trigger. */

import Koa from 'koa';
import ratelimit from 'koa-ratelimit';
import { BODY, serve } from './_common.mjs';

const app = new Koa();
app.use(
  ratelimit({
    driver: 'memory',
    db: new Map(),
    duration: 60_000,
    max: 1_000_000_000,
    id: (ctx) => ctx.ip,
  }),
);
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
