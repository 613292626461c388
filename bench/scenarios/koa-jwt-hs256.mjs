/** Peer: koa-jwt, HS256: every request re-sends the same valid token. */

import Koa from 'koa';
import koaJwt from 'koa-jwt';
import { BODY, serve } from './_common.mjs';
import { HS256_SECRET } from './_jwt.mjs';

const app = new Koa();
app.use(koaJwt({ secret: HS256_SECRET, algorithms: ['HS256'] }));
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
