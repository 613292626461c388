/** Running code just before a response's status line and headers are written (framework-neutral). */

import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Runs once, just before the status line is written; returns the status code to write. */
export interface WriteHeadListener {
  beforeWriteHead(res: ServerResponse, statusCode: number): number;
}

/**
 * The `writeHead` the Express adapter defines on Node's response prototype (`installWriteHead`)
 * and the one it calls. For a response without `res.locals` (Koa's, plain node:http) it only
 * passes the call on; once installed it is there for every response in the process.
 */
let prototypeWriteHead:
  | { readonly defined: unknown; readonly beneath: ServerResponse['writeHead'] }
  | undefined;

/** Records the pass-through `writeHead` defined on Node's response prototype (see above). */
export function definedOnPrototype(defined: unknown, beneath: ServerResponse['writeHead']): void {
  prototypeWriteHead = { defined, beneath };
}

/**
 * The `writeHead` a per-response wrapper should call: `res.writeHead`, or, when that is the
 * prototype's pass-through and `res` has no `res.locals` to hold a listener, what the
 * pass-through calls (a Koa response then skips one call and its `arguments` per request).
 */
export function writeHeadToWrap(res: ServerResponse): ServerResponse['writeHead'] {
  const found = res.writeHead;
  const installed = prototypeWriteHead;
  if (
    installed !== undefined &&
    found === installed.defined &&
    (res as { locals?: unknown }).locals === undefined
  )
    return installed.beneath;
  return found;
}

/** Every form of headers `res.writeHead` takes: an object, a flat raw array, or [name, value] pairs. */
export type WriteHeadHeaders = OutgoingHttpHeaders | OutgoingHttpHeader[] | OutgoingHttpHeader[][];

/**
 * Calls the original `writeHead` after `listener` (when given). Headers passed to `writeHead`
 * directly would bypass the listener's hooks, so they are applied first, on the response, the way
 * Node applies them when no header was set before (see `applyHeaders`).
 */
export function writeHeadWith(
  res: ServerResponse,
  original: ServerResponse['writeHead'],
  listener: WriteHeadListener | undefined,
  statusCode: number,
  reasonOrHeaders?: string | WriteHeadHeaders,
  maybeHeaders?: WriteHeadHeaders,
): ServerResponse {
  const reason = typeof reasonOrHeaders === 'string' ? reasonOrHeaders : undefined;
  const headers = typeof reasonOrHeaders === 'string' ? maybeHeaders : reasonOrHeaders;
  if (headers !== undefined && headers !== null) {
    // Node refuses a raw list cut in the middle: let it throw its own error.
    if (isOddRawList(headers))
      return Reflect.apply(original, res, [
        statusCode,
        reasonOrHeaders,
        maybeHeaders,
      ]) as ServerResponse;
    applyHeaders(res, headers);
  }
  const status = listener === undefined ? statusCode : listener.beforeWriteHead(res, statusCode);
  const write = original as (this: ServerResponse, code: number, reason?: string) => ServerResponse;
  return reason === undefined ? write.call(res, status) : write.call(res, status, reason);
}

/** Whether a `writeHead` call passes its headers as an array (raw or pairs). */
export function hasArrayHeaders(reasonOrHeaders: unknown, maybeHeaders: unknown): boolean {
  return Array.isArray(reasonOrHeaders) || Array.isArray(maybeHeaders);
}

/**
 * Applies `writeHead`'s headers to the response. They replace fields of the same name set
 * before, and a field repeated in an array stays repeated (`Set-Cookie`, `Link`: RFC 9110 §5.3):
 * what Node sends when `writeHead` gets them on a response with no header set yet. Node 20 itself
 * keeps only the last of a repeated field when some header was set before (the gateway always
 * sets `x-request-id`), and refuses [name, value] pairs then: hence appending them here.
 */
function applyHeaders(res: ServerResponse, headers: WriteHeadHeaders): void {
  if (!Array.isArray(headers)) {
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (name !== '' && value !== undefined) res.setHeader(name, value);
    }
    return;
  }
  const pairs = isPairList(headers);
  const step = pairs ? 1 : 2;
  for (let i = 0; i < headers.length; i += step) {
    const name = fieldName(headers, i, pairs);
    if (name) res.removeHeader(name);
  }
  for (let i = 0; i < headers.length; i += step) {
    const name = fieldName(headers, i, pairs);
    const value = pairs ? (headers[i] as OutgoingHttpHeader[])[1] : headers[i + 1];
    if (name) res.appendHeader(name, value as string | readonly string[]);
  }
}

function isPairList(headers: readonly unknown[]): boolean {
  return headers.length > 0 && Array.isArray(headers[0]);
}

function isOddRawList(headers: WriteHeadHeaders): boolean {
  return Array.isArray(headers) && !isPairList(headers) && headers.length % 2 !== 0;
}

function fieldName(headers: readonly unknown[], i: number, pairs: boolean): string {
  const name = pairs ? (headers[i] as unknown[])[0] : headers[i];
  return name === undefined || name === null ? '' : String(name);
}
