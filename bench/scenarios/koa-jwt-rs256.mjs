/** Peer: koa-jwt, RS256: every request re-sends the same valid token. */

import Koa from 'koa';
import koaJwt from 'koa-jwt';
import { BODY, serve } from './_common.mjs';
import { RSA_PUBLIC_KEY } from './_jwt.mjs';

const app = new Koa();
app.use(koaJwt({ secret: RSA_PUBLIC_KEY, algorithms: ['RS256'] }));
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
