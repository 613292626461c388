/**
 * The stack of koa-gateway-openapi.mjs assembled by hand: @koa/router's route, usage plans, the
 * throttle, the mock's answer. (@koa/router is the root package's dev dependency, found up the tree.)
 */

import Router from '@koa/router';
import Koa from 'koa';
import { serve } from './_common.mjs';
import { HAND_ROUTE, handPieces, MOCK_BODY, MOCK_TYPE } from './_openapi.mjs';

const router = new Router();
router.get(HAND_ROUTE, ...handPieces(), (ctx) => {
  ctx.set('content-type', MOCK_TYPE);
  ctx.body = MOCK_BODY;
});
const app = new Koa();
app.use(router.routes());
serve(app.callback());
