/** `gateway.cors()`: the Fetch standard's CORS protocol, answered by the gateway. */

import { createMiddleware } from '../../adapters/universal.js';
import type { Exchange, Next } from '../../core/exchange.js';
import { mergeVary } from '../../core/headers.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import {
  type CorsConfig,
  type CorsOptions,
  ECHOABLE_ORIGIN,
  resolveCorsOptions,
} from './options.js';

/** Every response header the CORS protocol defines; stripped from upstream responses when overriding. */
const CORS_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-expose-headers',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
  'access-control-allow-private-network',
]);

/** A valid `Access-Control-Request-Headers` list (RFC 9110 tokens, comma-separated), safe to reflect. */
const REQUEST_HEADER_LIST =
  /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;
const MAX_REFLECTED_HEADERS_LENGTH = 4096;

/**
 * Handles CORS for every route below it: answers preflights itself (204, even without an
 * OPTIONS route) and adds the allow headers to actual responses just before they are written,
 * so that they survive error handlers and replace any a handler or upstream set.
 *
 * @example
 * app.use(gateway.cors({ origin: ['https://app.example.com'], credentials: true }));
 * @see https://fetch.spec.whatwg.org/#http-cors-protocol
 */
export function cors(options?: CorsOptions): GatewayMiddleware {
  const config = resolveCorsOptions(options);
  const allowedOrigin = originChecker(config);
  const keepHandlers = !config.overrideUpstream;

  /** Final-header hook for actual (non-preflight) requests; `origin` is the allowed origin or null. */
  const applyActualHeaders = (ex: Exchange, origin: string | null): void => {
    if (config.overrideUpstream) removeCorsHeaders(ex);
    if (origin !== null) {
      setCorsHeader(
        ex,
        keepHandlers,
        'access-control-allow-origin',
        config.matcher.kind === 'any' && !config.credentials ? '*' : origin,
      );
      if (config.credentials)
        setCorsHeader(ex, keepHandlers, 'access-control-allow-credentials', 'true');
      if (config.exposeHeaders !== undefined)
        setCorsHeader(ex, keepHandlers, 'access-control-expose-headers', config.exposeHeaders);
    }
    addVary(ex, config.varyActual, config.varyActualValue);
  };

  /**
   * Final-header hook for preflights passed on (`preflightContinue`): the OPTIONS handler may
   * have replaced or removed the preflight headers set before it ran.
   */
  const applyPreflightHeaders = (ex: Exchange, origin: string | null): void => {
    if (config.overrideUpstream) removeCorsHeaders(ex);
    setPreflightHeaders(ex, config, origin, keepHandlers);
  };

  /** `origin`: the allowed origin to answer with, or null for a refusal. */
  const decide = (ex: Exchange, next: Next, origin: string | null): void | PromiseLike<void> => {
    if (!isPreflight(ex)) {
      ex.onHeaders(applyActualHeaders, origin);
      return next();
    }
    // The handler reads them; set again just before the head is written, they survive it.
    setPreflightHeaders(ex, config, origin, false);
    if (config.preflightContinue) {
      ex.onHeaders(applyPreflightHeaders, origin);
      return next();
    }
    // RFC 9110 §8.6: never on a 204; an empty 200 says its length so that the connection is reused.
    if (config.optionsSuccessStatus !== 204) ex.setHeader('content-length', '0');
    ex.respond(config.optionsSuccessStatus, null);
  };

  return createMiddleware('cors', function cors(ex, next) {
    const origin = ex.header('origin');
    if (origin === undefined) {
      // Not a CORS request; with `*` the header is still sent so cached copies serve everyone.
      ex.onHeaders(applyActualHeaders, config.matcher.kind === 'any' ? '*' : null);
      return next();
    }
    const verdict = allowedOrigin(origin, ex.native);
    if (verdict === null || typeof verdict === 'string') return decide(ex, next, verdict);
    return verdict.then((allowed) => decide(ex, next, allowed));
  });
}

/**
 * Compiles the origin check: returns the origin to answer with (the request's, unless a user
 * function names another) or null for a refusal, synchronously unless a user function is async.
 * Only an origin we are willing to echo (`ECHOABLE_ORIGIN`) can be allowed; a configured origin is
 * one (checked at start-up), so an exact match needs no further test.
 */
function originChecker(
  config: CorsConfig,
): (origin: string, req: unknown) => string | null | Promise<string | null> {
  const matcher = config.matcher;
  switch (matcher.kind) {
    case 'any':
      return (origin) => (ECHOABLE_ORIGIN.test(origin) ? origin : null);
    case 'function':
      return (origin, req) => {
        if (!ECHOABLE_ORIGIN.test(origin)) return null;
        const verdict: unknown = matcher.allow(origin, req);
        if (!isThenable(verdict)) return originFromVerdict(origin, verdict, config.credentials);
        return Promise.resolve(verdict).then((value) =>
          originFromVerdict(origin, value, config.credentials),
        );
      };
    case 'list': {
      const isListed = listedOrigin(matcher.exact);
      return (origin) => {
        if (isListed(origin)) return origin;
        if (!ECHOABLE_ORIGIN.test(origin)) return null;
        if (isListed(origin.toLowerCase())) return origin;
        for (const pattern of matcher.patterns) {
          pattern.lastIndex = 0; // a /g or /y RegExp keeps state between tests
          if (pattern.test(origin)) return origin;
        }
        return null;
      };
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * What a user's origin function answered, as the `cors` package reads it: `true` allows the
 * request's origin, a string is the origin to allow (answered as is, when it is one a browser
 * could send; `'*'` only without credentials, which must never be shared with every site), and
 * anything else refuses.
 */
function originFromVerdict(origin: string, verdict: unknown, credentials: boolean): string | null {
  if (verdict === true) return origin;
  if (typeof verdict !== 'string' || !ECHOABLE_ORIGIN.test(verdict)) return null;
  return verdict === '*' && credentials ? null : verdict;
}

/**
 * Membership in the configured origins. A few are compared one by one: a request's Origin is a
 * new string each time, and hashing it for a Set lookup costs more than two or three `===`.
 */
function listedOrigin(exact: ReadonlySet<string>): (origin: string) => boolean {
  const few = [...exact];
  if (few.length > 4) return (origin) => exact.has(origin);
  return (origin) => {
    for (let i = 0; i < few.length; i++) if (few[i] === origin) return true;
    return false;
  };
}

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method (Fetch §3.2.2). */
function isPreflight(ex: Exchange): boolean {
  return ex.method === 'OPTIONS' && ex.header('access-control-request-method') !== undefined;
}

/**
 * Removes the CORS headers a handler or upstream set. One pass over the few headers set (names
 * come back lower-cased) rather than seven `removeHeader` calls, which each validate and
 * lower-case their name again. (Seven `hasHeader` calls instead cost ~2k instructions more per
 * request in Koa with a handful of headers, and gained ~1k only once Node keeps a response's
 * headers in a dictionary, past about ten.)
 */
function removeCorsHeaders(ex: Exchange): void {
  for (const name of ex.res.getHeaderNames()) {
    if (CORS_RESPONSE_HEADERS.has(name)) ex.removeHeader(name);
  }
}

/** Sets a gateway CORS header; `keepExisting` (overrideUpstream false): unless a handler set its own. */
function setCorsHeader(ex: Exchange, keepExisting: boolean, name: string, value: string): void {
  if (!keepExisting || ex.getHeader(name) === undefined) ex.setHeader(name, value);
}

/** Adds `fields` to `Vary`; `joined` is them joined, set as is when there is no `Vary` yet. */
function addVary(ex: Exchange, fields: readonly string[], joined: string): void {
  if (fields.length === 0) return;
  const existing = ex.getHeader('vary');
  // A cache hit replays the `Vary` this middleware set when the response was stored: exactly
  // `joined`, nothing to merge (mergeVary would lower-case, split and search it again).
  if (existing === joined) return;
  const merged = existing === undefined ? joined : mergeVary(existing, fields);
  if (merged !== undefined) ex.setHeader('vary', merged);
}

/**
 * Sets a preflight's CORS headers. A disallowed origin (null) gets only `Vary`, so that the
 * browser blocks the request. `keepExisting`: leave the headers a handler set (overrideUpstream
 * false) and set only the missing ones.
 */
function setPreflightHeaders(
  ex: Exchange,
  config: CorsConfig,
  origin: string | null,
  keepExisting: boolean,
): void {
  if (origin !== null) {
    setCorsHeader(
      ex,
      keepExisting,
      'access-control-allow-origin',
      config.matcher.kind === 'any' && !config.credentials ? '*' : origin,
    );
    if (config.credentials)
      setCorsHeader(ex, keepExisting, 'access-control-allow-credentials', 'true');
    setCorsHeader(ex, keepExisting, 'access-control-allow-methods', config.allowMethods);
    const allowHeaders = config.allowHeaders ?? reflectedRequestHeaders(ex);
    if (allowHeaders !== undefined)
      setCorsHeader(ex, keepExisting, 'access-control-allow-headers', allowHeaders);
    if (config.maxAge !== undefined)
      setCorsHeader(ex, keepExisting, 'access-control-max-age', config.maxAge);
    if (config.privateNetwork && ex.header('access-control-request-private-network') === 'true') {
      setCorsHeader(ex, keepExisting, 'access-control-allow-private-network', 'true');
    }
  }
  addVary(ex, config.varyPreflight, config.varyPreflightValue);
}

/** The preflight's requested headers, when well-formed; otherwise nothing is allowed. */
function reflectedRequestHeaders(ex: Exchange): string | undefined {
  const requested = ex.header('access-control-request-headers');
  if (requested === undefined || requested.length > MAX_REFLECTED_HEADERS_LENGTH) return undefined;
  const trimmed = requested.trim();
  return REQUEST_HEADER_LIST.test(trimmed) ? trimmed : undefined;
}
