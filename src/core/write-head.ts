/** Running code just before a response's status line and headers are written (framework-neutral). */

import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Runs once, just before the status line is written; returns the status code to write. */
export interface WriteHeadListener {
  beforeWriteHead(res: ServerResponse, statusCode: number): number;
}

/**
 * Runs `listener` before the original `writeHead`. Headers passed to `writeHead` directly would
 * bypass the listener's hooks, so they are applied first.
 */
export function writeHeadOnce(
  res: ServerResponse,
  original: ServerResponse['writeHead'],
  listener: WriteHeadListener,
  statusCode: number,
  reasonOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
  maybeHeaders?: OutgoingHttpHeaders | OutgoingHttpHeader[],
): ServerResponse {
  const reason = typeof reasonOrHeaders === 'string' ? reasonOrHeaders : undefined;
  const headers = typeof reasonOrHeaders === 'string' ? maybeHeaders : reasonOrHeaders;
  if (headers !== undefined) applyHeaders(res, headers);
  const status = listener.beforeWriteHead(res, statusCode);
  const write = original as (this: ServerResponse, code: number, reason?: string) => ServerResponse;
  return reason === undefined ? write.call(res, status) : write.call(res, status, reason);
}

function applyHeaders(
  res: ServerResponse,
  headers: OutgoingHttpHeaders | OutgoingHttpHeader[],
): void {
  if (Array.isArray(headers)) {
    // Node accepts a flat [name, value, name, value] list.
    for (let i = 0; i + 1 < headers.length; i += 2)
      res.setHeader(String(headers[i]), headers[i + 1] as string);
    return;
  }
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined) res.setHeader(name, value);
  }
}
