/** gateway.openapi() in Express (issue 27): a 16-path document, `GET /prod/pets/{id}` with an API key, the stage throttle and a mock. */

import express from 'express';
import { serve } from './_common.mjs';
import { DOCUMENT, OPENAPI_OPTIONS } from './_openapi.mjs';
import { gateway } from './_portcullis.mjs';

const app = express();
app.use(gateway.openapi(DOCUMENT, OPENAPI_OPTIONS));
serve(app);
