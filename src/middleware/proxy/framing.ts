/**
 * How the client framed its request body (RFC 9112 §6), decided before anything is forwarded.
 * The body goes upstream framed exactly once by the proxy itself, whatever the method: with the
 * client's `Content-Length`, or re-chunked. Framing two parsers could read differently is refused
 * here with 400 rather than left to Node's parser, whose strictness depends on its version and on
 * `insecureHTTPParser`.
 */

import type { IncomingMessage } from 'node:http';

/**
 * `'none'`: no body. A decimal string: the client's `Content-Length`, forwarded as is.
 * `'chunked'`: forwarded with `Transfer-Encoding: chunked` (re-encoded by node:http).
 * `'invalid'`: refused with 400.
 */
export type RequestFraming = 'none' | 'chunked' | 'invalid' | string;

/** `chunked` alone, in any case (RFC 9112 §7: coding names are case-insensitive), with OWS. */
const CHUNKED_ONLY = /^[ \t]*chunked[ \t]*$/i;
/** RFC 9110 §8.6: `1*DIGIT`, nothing else (no sign, no list such as `5, 5`). */
const DECIMAL = /^[0-9]+$/;

/**
 * The framing of `req`. Two header reads for a request without a body (the common case); the
 * raw headers are scanned only when a `Content-Length` is present.
 *
 * Refused, as nginx and Envoy refuse them: `Content-Length` together with `Transfer-Encoding`
 * (RFC 9112 §6.1 lets a server reject it; forwarding it is the classic CL.TE smuggling), several
 * `Content-Length` fields or a list of values, a transfer coding other than `chunked` alone
 * (`gzip, chunked` would hand the upstream coded bytes it was not told about; `chunked, chunked`
 * is read differently by different parsers), and `Transfer-Encoding` in an HTTP/1.0 request
 * (RFC 9112 §6.1: its framing "MUST" be treated as faulty).
 */
export function requestFraming(req: IncomingMessage): RequestFraming {
  const coding = req.headers['transfer-encoding'];
  const length = req.headers['content-length'];
  if (coding === undefined) {
    if (length === undefined) return 'none';
    return DECIMAL.test(length) && singleContentLength(req.rawHeaders) ? length : 'invalid';
  }
  if (length !== undefined || req.httpVersion === '1.0') return 'invalid';
  return CHUNKED_ONLY.test(coding) ? 'chunked' : 'invalid';
}

/**
 * Whether `Content-Length` appears once among the raw fields: Node keeps only the first of
 * repeated `Content-Length` fields in `req.headers`, so a duplicate is visible only here.
 */
function singleContentLength(raw: readonly string[]): boolean {
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') seen++;
  }
  return seen === 1;
}

/** Whether the framing announces a body to forward. */
export function hasBody(framing: RequestFraming): boolean {
  return framing !== 'none' && framing !== '0';
}
