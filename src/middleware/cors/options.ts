/** `cors()` options, their defaults, and the resolved (validated, precomputed) configuration. */

import type { AnyRequest } from '../../core/middleware.js';
import {
  assertBoolean,
  assertKnownOptions,
  assertNumber,
  assertOptionsObject,
  optionTypeError,
  stripUndefined,
  tokenList,
} from '../../core/validate.js';

/**
 * Decides whether an origin may read responses. May be async (e.g. a database lookup). `true`
 * allows the request's origin; a string allows and is answered as the allowed origin (as with the
 * `cors` package; `'*'` is refused when `credentials` is on); anything else (`false`,
 * `undefined`, `null`...) refuses. A throw or a rejection goes to the framework's error handling
 * (500 by default), like a handler's error.
 */
export type OriginPredicate<Req = AnyRequest> = (
  origin: string,
  req: Req,
) => OriginVerdict | Promise<OriginVerdict>;

/** What an origin function answers: see `OriginPredicate`. */
export type OriginVerdict = boolean | string | null | undefined;

export interface CorsOptions<Req = AnyRequest> {
  /**
   * Which origins may read responses.
   * - `'*'` (default): any origin, answered with `Access-Control-Allow-Origin: *`.
   * - a string: that exact origin (`'https://app.example.com'`).
   * - an array of strings and RegExps: any that matches; the matching origin is echoed and
   *   `Vary: Origin` is added.
   * - a RegExp, or `(origin, req) => boolean | string | Promise<...>` (see `OriginPredicate`).
   *
   * Configured strings are origins as browsers send them: visible ASCII (an IDN host in its
   * `xn--` form), at most 2048 characters; anything else throws at start-up.
   * @default '*'
   */
  origin?: '*' | string | RegExp | ReadonlyArray<string | RegExp> | OriginPredicate<Req>;
  /** Methods allowed on preflight (`Access-Control-Allow-Methods`). @default ['GET','HEAD','PUT','PATCH','POST','DELETE'] */
  methods?: readonly string[] | string;
  /**
   * Request headers allowed on preflight (`Access-Control-Allow-Headers`). When unset, the
   * preflight's `Access-Control-Request-Headers` is reflected.
   * @default undefined (reflect)
   */
  allowedHeaders?: readonly string[] | string;
  /** Response headers the browser may expose to scripts (`Access-Control-Expose-Headers`). @default [] */
  exposedHeaders?: readonly string[] | string;
  /**
   * Allow cookies and HTTP auth (`Access-Control-Allow-Credentials: true`). The origin is then
   * echoed, never `*`; combining it with `origin: '*'` is refused.
   * @default false
   */
  credentials?: boolean;
  /** How long browsers may cache a preflight, in seconds (`Access-Control-Max-Age`); 0 omits the header. @default 600 */
  maxAge?: number;
  /** Answer Private Network Access preflights (`Access-Control-Allow-Private-Network: true`). @default false */
  privateNetwork?: boolean;
  /**
   * Pass preflights on to the next middleware instead of answering them. The OPTIONS handler
   * chooses the status and body; the preflight headers are set before it runs and applied again
   * just before the response is written: with `overrideUpstream` (the default) the gateway's
   * replace whatever the handler set or removed, without it the handler's own values stay and
   * only the missing ones are restored. `Vary` is merged either way.
   * @default false
   */
  preflightContinue?: boolean;
  /**
   * Replace CORS headers set by handlers or proxied backends with the gateway's (as API
   * Gateway does when CORS is configured). When false, the gateway's headers are set before
   * the handler runs and the handler may overwrite them.
   * @default true
   */
  overrideUpstream?: boolean;
  /**
   * Status of an answered preflight, a 2xx. Any but 204 is sent with `Content-Length: 0` (a 204
   * carries none, RFC 9110 §8.6).
   * @default 204
   */
  optionsSuccessStatus?: number;
}

export const CORS_DEFAULTS = {
  origin: '*',
  methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'],
  allowedHeaders: undefined,
  exposedHeaders: [],
  credentials: false,
  maxAge: 600,
  privateNetwork: false,
  preflightContinue: false,
  overrideUpstream: true,
  optionsSuccessStatus: 204,
} as const satisfies CorsOptions;

const KNOWN_OPTIONS = Object.keys(CORS_DEFAULTS);

/** How an origin is checked, compiled once. */
export type OriginMatcher =
  | { readonly kind: 'any' }
  | {
      readonly kind: 'list';
      readonly exact: ReadonlySet<string>;
      readonly patterns: readonly RegExp[];
    }
  | { readonly kind: 'function'; readonly allow: OriginPredicate };

/** The resolved configuration: validated and with every request-independent header value precomputed. */
export interface CorsConfig {
  readonly matcher: OriginMatcher;
  readonly credentials: boolean;
  /** Joined `Access-Control-Allow-Methods`. */
  readonly allowMethods: string;
  /** Joined `Access-Control-Allow-Headers`, or undefined to reflect the request's. */
  readonly allowHeaders: string | undefined;
  /** Joined `Access-Control-Expose-Headers`, or undefined. */
  readonly exposeHeaders: string | undefined;
  /** `Access-Control-Max-Age` value, or undefined to omit. */
  readonly maxAge: string | undefined;
  readonly privateNetwork: boolean;
  readonly preflightContinue: boolean;
  readonly overrideUpstream: boolean;
  readonly optionsSuccessStatus: number;
  /** `Vary` fields for actual responses (`Origin` unless every origin gets `*`). */
  readonly varyActual: readonly string[];
  /** `varyActual` joined, the header's value when the response has no `Vary` yet. */
  readonly varyActualValue: string;
  /** `Vary` fields for preflight responses. */
  readonly varyPreflight: readonly string[];
  /** `varyPreflight` joined. */
  readonly varyPreflightValue: string;
}

const SCOPE = 'cors';

/** Lower-cases the scheme and host (browsers send origins serialised that way) and drops a trailing slash. */
function normaliseConfiguredOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

/**
 * An origin we are willing to echo: visible ASCII only, bounded (RFC 6454 serialisation is far
 * shorter). A configured origin must be one too: it is echoed when it matches.
 */
export const ECHOABLE_ORIGIN = /^[\x21-\x7e]{1,2048}$/;

function compileOrigin(value: unknown, credentials: boolean): OriginMatcher {
  if (value === '*') {
    if (credentials) {
      // Reflecting every origin with credentials lets any site read a user's authenticated data.
      throw new TypeError(
        'portcullis.cors: option "origin" cannot be \'*\' when "credentials" is true; list the allowed origins or pass a function',
      );
    }
    return { kind: 'any' };
  }
  if (typeof value === 'function') return { kind: 'function', allow: value as OriginPredicate };
  const items = typeof value === 'string' || value instanceof RegExp ? [value] : value;
  if (!Array.isArray(items) || items.length === 0) {
    throw optionTypeError(
      SCOPE,
      'origin',
      "'*', an origin string, a RegExp, a non-empty array of them, or a function",
      value,
    );
  }
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const item of items) {
    if (item instanceof RegExp) patterns.push(item);
    else if (typeof item === 'string' && item !== '*' && item.trim() !== '') {
      const origin = normaliseConfiguredOrigin(item);
      // Matched origins are echoed as sent: only what a browser can send (ASCII, as serialised).
      if (!ECHOABLE_ORIGIN.test(origin))
        throw optionTypeError(
          SCOPE,
          'origin',
          'origins as browsers send them: visible ASCII (an IDN host in its xn-- form), at most 2048 characters',
          item,
        );
      exact.add(origin);
    } else
      throw optionTypeError(
        SCOPE,
        'origin',
        'a list of origin strings (not "*") and RegExps',
        item,
      );
  }
  return { kind: 'list', exact, patterns };
}

/** Validates `options` and computes everything that does not depend on the request. */
export function resolveCorsOptions(options: CorsOptions = {}): CorsConfig {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const o = { ...CORS_DEFAULTS, ...stripUndefined(options) };
  assertBoolean(SCOPE, 'credentials', o.credentials);
  assertBoolean(SCOPE, 'privateNetwork', o.privateNetwork);
  assertBoolean(SCOPE, 'preflightContinue', o.preflightContinue);
  assertBoolean(SCOPE, 'overrideUpstream', o.overrideUpstream);
  assertNumber(SCOPE, 'maxAge', o.maxAge, {
    min: 0,
    integer: true,
    expected: 'a whole number of seconds (0 or more)',
  });
  assertNumber(SCOPE, 'optionsSuccessStatus', o.optionsSuccessStatus, {
    min: 200,
    max: 299,
    integer: true,
    expected: 'a 2xx status',
  });
  const matcher = compileOrigin(o.origin, o.credentials);
  const methods = tokenList(SCOPE, 'methods', o.methods).map((method) => method.toUpperCase());
  const allowedHeaders =
    o.allowedHeaders === undefined
      ? undefined
      : tokenList(SCOPE, 'allowedHeaders', o.allowedHeaders);
  const exposedHeaders = tokenList(SCOPE, 'exposedHeaders', o.exposedHeaders);
  const varyOrigin = matcher.kind === 'any' ? [] : ['Origin'];
  const varyPreflight = [...varyOrigin, 'Access-Control-Request-Method'];
  if (allowedHeaders === undefined) varyPreflight.push('Access-Control-Request-Headers');
  if (o.privateNetwork) varyPreflight.push('Access-Control-Request-Private-Network');
  return Object.freeze({
    matcher,
    credentials: o.credentials,
    allowMethods: methods.join(', '),
    allowHeaders: allowedHeaders?.join(', '),
    exposeHeaders: exposedHeaders.length > 0 ? exposedHeaders.join(', ') : undefined,
    maxAge: o.maxAge > 0 ? String(o.maxAge) : undefined,
    privateNetwork: o.privateNetwork,
    preflightContinue: o.preflightContinue,
    overrideUpstream: o.overrideUpstream,
    optionsSuccessStatus: o.optionsSuccessStatus,
    varyActual: Object.freeze(varyOrigin),
    varyActualValue: varyOrigin.join(', '),
    varyPreflight: Object.freeze(varyPreflight),
    varyPreflightValue: varyPreflight.join(', '),
  });
}
