/** gateway.jwt() in Koa, RS256: every request re-sends the same valid token. */

import Koa from 'koa';
import { BODY, serve } from './_common.mjs';
import { RSA_PUBLIC_KEY } from './_jwt.mjs';
import { gateway } from './_portcullis.mjs';

const app = new Koa();
app.use(gateway.jwt({ publicKey: RSA_PUBLIC_KEY, algorithms: ['RS256'] }));
app.use((ctx) => {
  ctx.body = BODY;
});
serve(app.callback());
