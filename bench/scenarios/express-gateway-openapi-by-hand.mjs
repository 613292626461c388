/** The stack of express-gateway-openapi.mjs assembled by hand: Express's route, usage plans, the throttle, the mock's answer. */

import express from 'express';
import { serve } from './_common.mjs';
import { HAND_ROUTE, handPieces, MOCK_BODY, MOCK_TYPE } from './_openapi.mjs';

const app = express();
app.get(HAND_ROUTE, ...handPieces(), (_req, res) => {
  res.setHeader('content-type', MOCK_TYPE);
  res.end(MOCK_BODY);
});
serve(app);
