/** `proxy()` options, their defaults, and the resolved (validated, precomputed) configuration. */

import { Agent } from 'node:http';
import { type Clock, systemClock } from '../../core/clock.js';
import {
  type ErrorResponseOptions,
  type PreparedResponse,
  prepareErrorResponse,
} from '../../core/errors.js';
import type { AnyRequest } from '../../core/middleware.js';
import {
  assertBoolean,
  assertKnownOptions,
  assertNumber,
  assertOptionsObject,
  HTTP_TOKEN,
  optionTypeError,
  stripUndefined,
  tokenList,
} from '../../core/validate.js';
import { notCopiedUpstream } from './headers.js';
import { compileRewrite, normalisePrefix } from './paths.js';
import { compileTargets, type TargetSpec } from './targets.js';

/** An upstream base URL (`http:` or `https:`); its path is prepended to the forwarded path. */
export type TargetUrl = string | URL;

/**
 * Picks the upstream per request: the hook stages use (`/dev` and `/prod` to different
 * backends). Receives Express's `req` or Koa's `ctx` (for WebSocket upgrades: Node's request).
 */
export type TargetFunction<Req = AnyRequest> = (req: Req) => TargetUrl | Promise<TargetUrl>;

/** Rewrites the forwarded path (with its query): the result of `undefined` keeps it. */
export type PathRewriteFunction<Req = AnyRequest> = (
  path: string,
  req: Req,
) => string | undefined | Promise<string | undefined>;

/** Header changes applied to what is forwarded: `remove` first, then `set`. */
export interface HeaderTransforms {
  /** Headers to set (replacing any value). */
  set?: Readonly<Record<string, string>>;
  /** Header names to drop. */
  remove?: readonly string[] | string;
}

export interface ProxyOptions<Req = AnyRequest> {
  /**
   * Where requests go: a URL, a list of URLs (round-robin; one that refuses connections is
   * skipped for `ejectFor` seconds and an idempotent request is retried once on the next),
   * or `(req) => url` evaluated per request.
   */
  target: TargetUrl | readonly TargetUrl[] | TargetFunction<Req>;
  /**
   * Only requests under this path are proxied (others go to `next()`); with `stripPrefix` it
   * is removed from the forwarded path. Koa has no mounting, so this is how to mount there.
   * @default undefined (every request)
   */
  prefix?: string;
  /**
   * Forward the path relative to the mount point (Express `app.use('/orders', ...)`, koa-mount)
   * and to `prefix`. When false the path is forwarded as the client sent it.
   * @default true
   */
  stripPrefix?: boolean;
  /**
   * Rewrites the forwarded path, as in http-proxy-middleware: `{ '^/v1': '/api' }` (the first
   * matching pattern is replaced) or `(path, req) => newPath`. Runs after `stripPrefix`.
   */
  pathRewrite?: Readonly<Record<string, string>> | PathRewriteFunction<Req>;
  /**
   * Milliseconds to wait for the upstream's response headers before answering 504
   * (API Gateway's integration limit is 29 s).
   * @default 29000
   */
  timeout?: number;
  /**
   * Milliseconds a streamed upstream response body may stay silent once its headers arrived
   * (nginx's `proxy_read_timeout`); then the client's connection is ended (its response is cut
   * short, never completed), the upstream connection destroyed, and the request counted as an
   * integration timeout (`integrationTimedOut` on the gateway context). Time the client takes to
   * read (backpressure) does not count. Bodies read whole (`bufferResponsesUpTo`) are bounded by
   * `timeout` instead.
   * @default 29000 (API Gateway's integration limit)
   */
  idleTimeout?: number;
  /** Seconds an upstream of a target list is skipped after it refused a connection. @default 10 */
  ejectFor?: number;
  /**
   * Upstream responses that declare a `Content-Length` of at most this many bytes are read whole
   * (within `timeout`) and answered as one Buffer; longer ones, and chunked ones, are streamed.
   * A whole body is cheaper to send than a stream (Koa pipes streams through `stream.pipeline`,
   * which costs tens of µs per response), and an upstream that breaks off such a body gets the
   * client a clean 502 instead of a truncated response. `0` streams every response.
   * @default 65536 (64 KiB)
   */
  bufferResponsesUpTo?: number;
  /**
   * The `http.Agent` (an `https.Agent` for https targets) for upstream connections, or `false`
   * for a new connection per request. By default keep-alive agents owned by this middleware.
   */
  agent?: Agent | false;
  /** Append `X-Forwarded-For`, `-Proto` and `-Host`. @default true */
  xfwd?: boolean;
  /** Send the target's host as `Host` (else the client's `Host` is forwarded). @default true */
  changeOrigin?: boolean;
  /**
   * Forward the client's API key to the upstream. When false, the key is kept back wherever
   * `usagePlans()` reads it: the `x-api-key` header, the header of its `header` option (learned
   * from the gateway context), and the headers and query parameters in `apiKeySources`.
   * @default false
   */
  forwardApiKey?: boolean;
  /**
   * Where else clients send the API key, for a `usagePlans()` `keySource`: header names, and
   * query parameter names (matched after percent-decoding), dropped unless `forwardApiKey`.
   * @example { query: 'api_key' }
   * @default { headers: [], query: [] } (only `x-api-key` and usagePlans' `header`)
   */
  apiKeySources?: { headers?: readonly string[] | string; query?: readonly string[] | string };
  /** Changes to the headers sent upstream. */
  requestHeaders?: HeaderTransforms;
  /** Changes to the upstream's response headers. */
  responseHeaders?: HeaderTransforms;
  /** Proxy WebSocket upgrades through the `upgrade` helper (`server.on('upgrade', mw.upgrade)`). @default false */
  ws?: boolean;
  /**
   * Replace the gateway's 400 (`badRequest`: ambiguous framing, a path escaping the target),
   * 502 (`badGateway`) and 504 (`timeout`) responses.
   */
  responses?: {
    badRequest?: ErrorResponseOptions;
    badGateway?: ErrorResponseOptions;
    timeout?: ErrorResponseOptions;
  };
  /** Time source for `ejectFor` (tests pass a manual clock). @default the system clock */
  clock?: Clock;
}

export const PROXY_DEFAULTS = {
  prefix: undefined,
  stripPrefix: true,
  pathRewrite: undefined,
  timeout: 29_000,
  idleTimeout: 29_000,
  ejectFor: 10,
  bufferResponsesUpTo: 65_536,
  agent: undefined,
  xfwd: true,
  changeOrigin: true,
  forwardApiKey: false,
  apiKeySources: undefined,
  requestHeaders: undefined,
  responseHeaders: undefined,
  ws: false,
  responses: undefined,
  clock: systemClock,
} as const satisfies Omit<ProxyOptions, 'target'>;

const KNOWN_OPTIONS = ['target', ...Object.keys(PROXY_DEFAULTS)];

/** Compiled header transforms: lower-case names to drop, then pairs to set. */
export interface CompiledHeaderTransforms {
  readonly remove: ReadonlySet<string>;
  readonly set: ReadonlyArray<readonly [string, string]>;
}

/** The path rewrite, compiled once. */
export type PathRewriter = (path: string, req: unknown) => string | Promise<string>;

/** The resolved configuration. */
export interface ProxyConfig {
  readonly targets: TargetSpec;
  /** Normalised prefix (leading `/`, no trailing `/`), or undefined. */
  readonly prefix: string | undefined;
  readonly stripPrefix: boolean;
  readonly rewrite: PathRewriter | undefined;
  readonly timeout: number;
  readonly idleTimeout: number;
  readonly ejectForMs: number;
  readonly bufferResponsesUpTo: number;
  /** The user's agent; undefined means "use the middleware's keep-alive agents". */
  readonly agent: Agent | false | undefined;
  readonly xfwd: boolean;
  readonly changeOrigin: boolean;
  readonly forwardApiKey: boolean;
  /** Lower-case headers that carry the API key: `x-api-key` and `apiKeySources.headers`. */
  readonly apiKeyHeaders: readonly string[];
  /** Query parameters that carry the API key (decoded names); empty in the common case. */
  readonly apiKeyQuery: ReadonlySet<string>;
  /** The client's headers never copied upstream (see `notCopiedUpstream`). */
  readonly notCopiedUpstream: ReadonlySet<string>;
  readonly requestHeaders: CompiledHeaderTransforms;
  readonly responseHeaders: CompiledHeaderTransforms;
  readonly ws: boolean;
  readonly badRequest: PreparedResponse;
  readonly badGateway: PreparedResponse;
  readonly timeoutResponse: PreparedResponse;
  readonly clock: Clock;
}

const SCOPE = 'proxy';
/** The proxy frames forwarded bodies itself: a transform on these would unframe or double-frame them. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding']);
const FRAMING_EXPECTED = 'free of Content-Length and Transfer-Encoding (the proxy frames bodies)';
const NO_TRANSFORMS: CompiledHeaderTransforms = Object.freeze({
  remove: new Set<string>(),
  set: Object.freeze([]),
});

function compileHeaderTransforms(option: string, value: unknown): CompiledHeaderTransforms {
  if (value === undefined) return NO_TRANSFORMS;
  assertOptionsObject(`${SCOPE}: option "${option}"`, value);
  assertKnownOptions(`${SCOPE}.${option}`, value, ['set', 'remove']);
  const { set = {}, remove = [] } = value as HeaderTransforms;
  if (typeof set !== 'object' || set === null || Array.isArray(set))
    throw optionTypeError(SCOPE, `${option}.set`, 'an object of header names to strings', set);
  const pairs: Array<readonly [string, string]> = [];
  for (const [name, headerValue] of Object.entries(set)) {
    if (!HTTP_TOKEN.test(name))
      throw optionTypeError(SCOPE, `${option}.set`, 'keyed by header names', name);
    if (option === 'requestHeaders' && FRAMING_HEADERS.has(name.toLowerCase()))
      throw optionTypeError(SCOPE, `${option}.set`, FRAMING_EXPECTED, name);
    if (typeof headerValue !== 'string' || /[\r\n\0]/.test(headerValue))
      throw optionTypeError(SCOPE, `${option}.set.${name}`, 'a header value string', headerValue);
    pairs.push([name.toLowerCase(), headerValue]);
  }
  const removed = tokenList(SCOPE, `${option}.remove`, remove).map((name) => name.toLowerCase());
  const framing = removed.find((name) => FRAMING_HEADERS.has(name));
  if (option === 'requestHeaders' && framing !== undefined)
    throw optionTypeError(SCOPE, `${option}.remove`, FRAMING_EXPECTED, framing);
  return Object.freeze({ remove: new Set(removed), set: Object.freeze(pairs) });
}

/** API Gateway's key header, always kept back unless `forwardApiKey`. */
const API_KEY_HEADERS: readonly string[] = Object.freeze(['x-api-key']);
const NO_NAMES: ReadonlySet<string> = new Set();

/** `apiKeySources`, compiled: the header names (with `x-api-key`) and the query names. */
function compileApiKeySources(value: unknown): {
  headers: readonly string[];
  query: ReadonlySet<string>;
} {
  if (value === undefined) return { headers: API_KEY_HEADERS, query: NO_NAMES };
  assertOptionsObject(`${SCOPE}: option "apiKeySources"`, value);
  assertKnownOptions(`${SCOPE}.apiKeySources`, value, ['headers', 'query']);
  const { headers = [], query = [] } = value as NonNullable<ProxyOptions['apiKeySources']>;
  const names = tokenList(SCOPE, 'apiKeySources.headers', headers).map((h) => h.toLowerCase());
  const params = typeof query === 'string' ? [query] : query;
  if (!Array.isArray(params) || params.some((p) => typeof p !== 'string' || p === ''))
    throw optionTypeError(SCOPE, 'apiKeySources.query', 'parameter names', query);
  return {
    headers: Object.freeze([...new Set([...API_KEY_HEADERS, ...names])]),
    query: new Set(params as string[]),
  };
}

/** Accepts `proxy(url)` as well as `proxy({ target, ... })`. */
function asOptions(value: unknown): ProxyOptions {
  if (typeof value === 'string' || value instanceof URL || Array.isArray(value))
    return { target: value as TargetUrl };
  if (typeof value === 'function') return { target: value as TargetFunction };
  if (value === undefined)
    throw optionTypeError(
      SCOPE,
      'target',
      'a URL, a list of URLs, a function or { target }',
      value,
    );
  assertOptionsObject(SCOPE, value);
  return value as ProxyOptions;
}

/** Validates the options and computes everything that does not depend on the request. */
export function resolveProxyOptions(targetOrOptions: unknown): ProxyConfig {
  const options = asOptions(targetOrOptions);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const o = { ...PROXY_DEFAULTS, ...stripUndefined(options) };
  for (const name of ['stripPrefix', 'xfwd', 'changeOrigin', 'forwardApiKey', 'ws'] as const)
    assertBoolean(SCOPE, name, o[name]);
  assertNumber(SCOPE, 'timeout', o.timeout, {
    min: 1,
    max: 2 ** 31 - 1,
    integer: true,
    expected: 'a whole number of milliseconds from 1',
  });
  assertNumber(SCOPE, 'idleTimeout', o.idleTimeout, {
    min: 1,
    max: 2 ** 31 - 1,
    integer: true,
    expected: 'a whole number of milliseconds from 1',
  });
  assertNumber(SCOPE, 'ejectFor', o.ejectFor, {
    min: 0,
    expected: 'a number of seconds (0 or more)',
  });
  assertNumber(SCOPE, 'bufferResponsesUpTo', o.bufferResponsesUpTo, {
    min: 0,
    max: 2 ** 31 - 1,
    integer: true,
    expected: 'a whole number of bytes (0 or more)',
  });
  if (o.agent !== undefined && o.agent !== false && !(o.agent instanceof Agent))
    throw optionTypeError(SCOPE, 'agent', 'an http.Agent / https.Agent or false', o.agent);
  if (typeof o.clock?.now !== 'function')
    throw optionTypeError(SCOPE, 'clock', 'an object with now()', o.clock);
  if (o.responses !== undefined) {
    assertOptionsObject(`${SCOPE}: option "responses"`, o.responses);
    assertKnownOptions(`${SCOPE}.responses`, o.responses, ['badRequest', 'badGateway', 'timeout']);
  }
  const apiKeySources = compileApiKeySources(o.apiKeySources);
  return Object.freeze({
    targets: compileTargets(SCOPE, 'target', o.target),
    prefix: normalisePrefix(o.prefix),
    stripPrefix: o.stripPrefix,
    rewrite: compileRewrite(o.pathRewrite),
    timeout: o.timeout,
    idleTimeout: o.idleTimeout,
    ejectForMs: o.ejectFor * 1000,
    bufferResponsesUpTo: o.bufferResponsesUpTo,
    agent: o.agent,
    xfwd: o.xfwd,
    changeOrigin: o.changeOrigin,
    forwardApiKey: o.forwardApiKey,
    apiKeyHeaders: apiKeySources.headers,
    apiKeyQuery: apiKeySources.query,
    notCopiedUpstream: notCopiedUpstream(o.forwardApiKey, apiKeySources.headers),
    requestHeaders: compileHeaderTransforms('requestHeaders', o.requestHeaders),
    responseHeaders: compileHeaderTransforms('responseHeaders', o.responseHeaders),
    ws: o.ws,
    badRequest: prepareErrorResponse(
      'badRequest',
      o.responses?.badRequest,
      SCOPE,
      'responses.badRequest',
    ),
    badGateway: prepareErrorResponse(
      'badGateway',
      o.responses?.badGateway,
      SCOPE,
      'responses.badGateway',
    ),
    timeoutResponse: prepareErrorResponse(
      'timeout',
      o.responses?.timeout,
      SCOPE,
      'responses.timeout',
    ),
    clock: o.clock,
  });
}
