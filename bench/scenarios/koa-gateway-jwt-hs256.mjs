/** gateway.jwt() in Koa, HS256: every request re-sends the same valid token. */

import Koa from 'koa';
import { BODY, serve } from './_common.mjs';
import { HS256_SECRET } from './_jwt.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.jwt({ secret: HS256_SECRET, algorithms: ['HS256'] }));
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
