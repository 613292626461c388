/** Header transforms both ways: hop-by-hop removal, X-Forwarded-*, the API key, user set/remove. */

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { REQUEST_ID_HEADER } from '../../core/context.js';
import type { Exchange } from '../../core/exchange.js';
import { HOP_BY_HOP_HEADERS } from '../../core/headers.js';
import { traceContextOf, traceparentOf } from '../../core/trace.js';
import type { RequestFraming } from './framing.js';
import type { CompiledHeaderTransforms, ProxyConfig } from './options.js';
import { forwardOverrideOf } from './override.js';

/**
 * Not forwarded: the hop-by-hop fields, and `expect` (Node's server already answered the
 * client's `100-continue`). Fields named by `Connection` are dropped as well.
 */
const HOP_BY_HOP = new Set([...HOP_BY_HOP_HEADERS, 'expect']);

/** `Connection` values that name only fields already hop-by-hop: nothing more to drop. */
const PLAIN_CONNECTION = /^\s*(?:keep-alive|close)\s*$/i;

/** Lower-case field names listed in a `Connection` header (beyond the usual keep-alive/close). */
function connectionOptions(value: string | string[] | undefined): Set<string> | undefined {
  // Nearly every message says `keep-alive` or `close`: no Set per request for those.
  if (value === undefined || (typeof value === 'string' && PLAIN_CONNECTION.test(value)))
    return undefined;
  const names = (Array.isArray(value) ? value.join(',') : value).toLowerCase().split(',');
  return new Set(names.map((name) => name.trim()).filter((name) => name !== ''));
}

function isHopByHop(name: string, listed: Set<string> | undefined): boolean {
  return HOP_BY_HOP.has(name) || listed?.has(name) === true;
}

function appendField(existing: string | string[] | undefined, value: string): string {
  const prior = Array.isArray(existing) ? existing.join(', ') : existing;
  return prior === undefined || prior === '' ? value : `${prior}, ${value}`;
}

function applyTransforms(headers: OutgoingHttpHeaders, transforms: CompiledHeaderTransforms): void {
  for (const name of transforms.remove) delete headers[name];
  for (const [name, value] of transforms.set) headers[name] = value;
}

/**
 * Not copied from the client: the hop-by-hop fields, and `content-length`: the proxy frames the
 * forwarded body itself, so that it is framed exactly once (RFC 9112 §6.3) even when
 * `Connection` names `Content-Length`.
 */
const NOT_COPIED_UPSTREAM = [...HOP_BY_HOP, 'content-length'];

/**
 * The client's fields never copied upstream, built once per proxy: those above, and the headers
 * that carry the API key unless `forwardApiKey`. Skipped as they are copied rather than deleted
 * after: a `delete` turns the headers object into a slow dictionary for everything after it.
 */
export function notCopiedUpstream(
  forwardApiKey: boolean,
  apiKeyHeaders: readonly string[],
): ReadonlySet<string> {
  return new Set(forwardApiKey ? NOT_COPIED_UPSTREAM : [...NOT_COPIED_UPSTREAM, ...apiKeyHeaders]);
}

/**
 * The headers sent upstream. `framing` is the client's (never `'invalid'` here); `heldLength` is
 * set when the proxy sends a body it holds (a raw or re-serialised body) instead of streaming the
 * client's.
 */
export function upstreamRequestHeaders(
  ex: Exchange,
  config: ProxyConfig,
  target: URL,
  framing: RequestFraming,
  heldLength: number | undefined,
): OutgoingHttpHeaders {
  const incoming = forwardOverrideOf(ex)?.headers ?? ex.req.headers;
  const listed = connectionOptions(incoming.connection);
  const out: OutgoingHttpHeaders = {};
  const notCopied = config.notCopiedUpstream;
  for (const name of Object.keys(incoming)) {
    if (!notCopied.has(name) && listed?.has(name) !== true) out[name] = incoming[name];
  }
  // The header usagePlans read the key from, when it is another one (known only per request).
  const learned = ex.gateway.apiKeyHeader;
  if (learned !== undefined && !config.forwardApiKey) delete out[learned];
  // The id the gateway uses (the client's when valid, else the generated one).
  out[REQUEST_ID_HEADER] = ex.gateway.requestId;
  if (config.changeOrigin) out.host = target.host;
  forwardTraceContext(ex, out);
  if (config.xfwd) {
    const socket = ex.req.socket as { remoteAddress?: string; encrypted?: boolean };
    out['x-forwarded-for'] = appendField(incoming['x-forwarded-for'], socket.remoteAddress ?? '');
    out['x-forwarded-proto'] = appendField(
      incoming['x-forwarded-proto'],
      socket.encrypted === true ? 'https' : 'http',
    );
    out['x-forwarded-host'] = appendField(incoming['x-forwarded-host'], incoming.host ?? '');
  }
  if (heldLength !== undefined) {
    out['content-length'] = String(heldLength);
    // A parser already decoded the body (body-parser inflates gzip before `verify`).
    delete out['content-encoding'];
  } else if (framing === 'chunked') {
    // Node's client chunks a body only for methods it expects one on unless told: without this a
    // chunked GET's bytes would go upstream unframed and be parsed there as further requests.
    out['transfer-encoding'] = 'chunked';
  } else if (framing !== 'none') out['content-length'] = framing;
  applyTransforms(out, config.requestHeaders);
  return out;
}

/**
 * W3C Trace Context: the upstream becomes a child of the gateway's span (same trace id, the
 * gateway's span id as parent, same flags); `tracestate` goes on unchanged when it was valid,
 * and is dropped with an invalid `traceparent`, whose trace the gateway does not continue.
 */
function forwardTraceContext(ex: Exchange, out: OutgoingHttpHeaders): void {
  const trace = traceContextOf(ex);
  out.traceparent = traceparentOf(trace);
  if (trace.state === undefined) delete out.tracestate;
  else out.tracestate = trace.state;
}

/**
 * Copies the upstream's response headers onto the gateway's response, without hop-by-hop
 * fields and without the upstream's `x-request-id` (the gateway's id is the one echoed).
 */
export function copyResponseHeaders(
  ex: Exchange,
  upstream: IncomingHttpHeaders,
  config: ProxyConfig,
): void {
  const listed = connectionOptions(upstream.connection);
  const { remove, set } = config.responseHeaders;
  for (const name of Object.keys(upstream)) {
    if (isHopByHop(name, listed) || name === REQUEST_ID_HEADER || remove.has(name)) continue;
    const value = upstream[name];
    if (value !== undefined) ex.setHeader(name, value);
  }
  // Set after the copy, so that a configured value replaces the upstream's.
  for (const [name, value] of set) ex.setHeader(name, value);
}
