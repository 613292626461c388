/** The backend of the proxy cases: node:http answering the same JSON on every path, keep-alive. */

import { BODY, serve } from './_common.mjs';

const json = JSON.stringify(BODY);
serve((_req, res) => {
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('x-upstream', 'bench');
  res.end(json);
});
