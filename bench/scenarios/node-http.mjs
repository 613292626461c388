/** Reference floor: node:http with no framework at all. */

import { BODY, serve } from './_common.mjs';

const json = JSON.stringify(BODY);
serve((_req, res) => {
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(json);
});
