/** The forwarded path: mount prefix matching and stripping, and http-proxy-middleware's `pathRewrite`. */

import { originForm, withoutFragment } from '../../core/target.js';
import { optionTypeError } from '../../core/validate.js';
import type { PathRewriteFunction, PathRewriter, ProxyConfig } from './options.js';

const SCOPE = 'proxy';

/** Validates `prefix`: leading `/`, no query; trailing slashes dropped (`/` means none). */
export function normalisePrefix(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !value.startsWith('/') || /[?#\s]/.test(value))
    throw optionTypeError(SCOPE, 'prefix', 'a path starting with "/" (no query)', value);
  const trimmed = value.replace(/\/+$/, '');
  return trimmed === '' ? undefined : trimmed;
}

/**
 * `url` without `prefix` (`/orders/1?x` → `/1?x`), or undefined when it is not under it. The
 * prefix is a whole path (`/orders#f` is the router's `/orders`).
 */
function stripPathPrefix(url: string, prefix: string): string | undefined {
  if (!url.startsWith(prefix)) return undefined;
  const rest = url.slice(prefix.length);
  if (rest === '') return '/';
  if (rest[0] === '/') return rest;
  return rest[0] === '?' || rest[0] === '#' ? `/${rest}` : undefined;
}

/**
 * The path and query to forward, or undefined when the request is not under `prefix`. An
 * absolute-form target is read as the router reads it, its path: its authority is no part of
 * what is forwarded. An asterisk-form target (`OPTIONS *`) names no resource and is left to the
 * app.
 */
export function forwardedPath(
  config: Pick<ProxyConfig, 'prefix' | 'stripPrefix'>,
  url: string,
  originalUrl: string,
): string | undefined {
  let path = originForm(url);
  if (path.charCodeAt(0) !== 47 /* / */) return undefined;
  if (config.prefix !== undefined) {
    const rest = stripPathPrefix(path, config.prefix);
    if (rest === undefined) return undefined;
    path = rest;
  }
  return config.stripPrefix ? path : originForm(originalUrl);
}

/** Compiles `pathRewrite` with http-proxy-middleware's rule: the first pattern that matches is replaced. */
export function compileRewrite(value: unknown): PathRewriter | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') {
    const fn = value as PathRewriteFunction;
    return (path, req) => {
      const out = fn(path, req);
      if (out !== null && typeof out === 'object' && 'then' in out)
        return out.then((p) => rewrittenOr(p, path));
      return rewrittenOr(out, path);
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw optionTypeError(SCOPE, 'pathRewrite', 'an object of patterns or a function', value);
  const rules: Array<readonly [RegExp, string]> = [];
  for (const [pattern, replacement] of Object.entries(value)) {
    if (typeof replacement !== 'string')
      throw optionTypeError(SCOPE, `pathRewrite["${pattern}"]`, 'a string', replacement);
    try {
      rules.push([new RegExp(pattern), replacement]);
    } catch {
      throw optionTypeError(SCOPE, 'pathRewrite', 'keyed by valid regular expressions', pattern);
    }
  }
  return (path) => {
    for (const [regex, replacement] of rules)
      if (regex.test(path)) return ensureLeadingSlash(path.replace(regex, replacement));
    return path;
  };
}

function rewrittenOr(value: unknown, path: string): string {
  if (value === undefined) return path;
  if (typeof value !== 'string')
    throw optionTypeError(SCOPE, 'pathRewrite', 'a function returning a string', value);
  return ensureLeadingSlash(value);
}

function ensureLeadingSlash(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

/**
 * Path confinement, the rule API Gateway's `{proxy+}` keeps (a proxied path never leaves its
 * resource): dot segments of the forwarded path are resolved as RFC 3986 §5.2.4's
 * remove_dot_segments does, `%2e`/`%2E` counting as `.` (§2.3: unreserved characters are
 * equivalent encoded or not, and upstreams decode them); nothing else is decoded and the query is
 * left alone. Refused (undefined) instead of clamped at the root, as nginx answers 400: a `..`
 * that would climb above the forwarded root (the target's base path), and a `..` hidden behind
 * what some upstream may read as a separator: an encoded slash or backslash (`..%2f`, `..%5c`), a
 * backslash, or a `;` (Tomcat reads `..;` as `..`).
 */
export function confinedPath(pathAndQuery: string): string | undefined {
  const end = dotScanEnd(pathAndQuery);
  if (end < 0) return pathAndQuery;
  const segments = pathAndQuery.slice(0, end).split('/');
  const kept: string[] = [];
  // segments[0] is the empty string before the leading `/`.
  for (let i = 1; i < segments.length; i++) {
    const kind = dotSegment(segments[i]!);
    const last = i === segments.length - 1;
    if (kind === 'hidden') return undefined;
    if (kind === 'up') {
      if (kept.length === 0) return undefined;
      kept.pop();
    } else if (kind === 'none') {
      kept.push(segments[i]!);
      continue;
    }
    // A path ending in a dot segment keeps its trailing slash (`/a/b/..` → `/a/`).
    if (last) kept.push('');
  }
  return `/${kept.join('/')}${pathAndQuery.slice(end)}`;
}

/**
 * Where the path part ends (the `?`, a fragment's `#` or the string's end), or -1 when it holds
 * no `.`, `%` or `\` and so cannot hold a dot segment: the common case costs one scan and no
 * allocation.
 */
function dotScanEnd(pathAndQuery: string): number {
  let suspicious = false;
  let i = 0;
  for (; i < pathAndQuery.length; i++) {
    const c = pathAndQuery.charCodeAt(i);
    if (c === 0x3f /* ? */ || c === 0x23 /* # */) break;
    if (c === 0x2e /* . */ || c === 0x25 /* % */ || c === 0x5c /* \ */) suspicious = true;
  }
  return suspicious ? i : -1;
}

/** What could separate a hidden `..` for some upstream: `%2f`, `%5c`, `\`, `;`. */
const HIDDEN_SEPARATORS = /%2f|%5c|\\|;/i;

type DotSegment = 'none' | 'self' | 'up' | 'hidden';

function dotSegment(segment: string): DotSegment {
  const dots = segment.includes('%') ? segment.replace(/%2e/gi, '.') : segment;
  if (dots === '.') return 'self';
  if (dots === '..') return 'up';
  if (!dots.includes('..') || !HIDDEN_SEPARATORS.test(dots)) return 'none';
  return dots.split(HIDDEN_SEPARATORS).includes('..') ? 'hidden' : 'none';
}

/**
 * The path and query sent upstream, from the rewritten one: dot segments resolved (undefined,
 * answered 400, when it escapes the target or, with `stripPrefix: false`, the mount), and the
 * API key's query parameters dropped, and any fragment: a request-target has none (RFC 9112
 * §3.2), and an upstream could read one as path or query the router did not. `url` is the
 * request's path relative to its mount.
 */
export function upstreamPath(
  config: Pick<ProxyConfig, 'prefix' | 'stripPrefix' | 'forwardApiKey' | 'apiKeyQuery'>,
  rewritten: string,
  url: string,
): string | undefined {
  const confined = confinedPath(withoutFragment(rewritten));
  if (confined === undefined || (!config.stripPrefix && escapesMount(config, url)))
    return undefined;
  // Most proxies read no key from the query, and then pay nothing for it.
  if (config.forwardApiKey || config.apiKeyQuery.size === 0) return confined;
  return withoutParams(confined, config.apiKeyQuery);
}

/**
 * With `stripPrefix: false` the whole path is forwarded, so the dots are resolved on it; this
 * refuses those that climb above the mount (`/svc/../admin` is `/admin`: inside the target, but
 * out of what was mounted).
 */
function escapesMount(config: Pick<ProxyConfig, 'prefix'>, url: string): boolean {
  const path = originForm(url);
  const rest = config.prefix === undefined ? path : stripPathPrefix(path, config.prefix);
  return rest !== undefined && confinedPath(rest) === undefined;
}

/**
 * `pathAndQuery` without the query parameters named in `names` (compared after
 * percent-decoding, `+` as a space, as query parsers read them); the rest is kept byte for byte
 * and in order. The `?` goes when nothing is left.
 */
export function withoutParams(pathAndQuery: string, names: ReadonlySet<string>): string {
  const q = pathAndQuery.indexOf('?');
  if (q === -1) return pathAndQuery;
  const kept = pathAndQuery
    .slice(q + 1)
    .split('&')
    .filter((pair) => !names.has(paramName(pair)));
  const query = kept.join('&');
  return query === '' ? pathAndQuery.slice(0, q) : `${pathAndQuery.slice(0, q + 1)}${query}`;
}

function paramName(pair: string): string {
  const eq = pair.indexOf('=');
  const raw = (eq === -1 ? pair : pair.slice(0, eq)).replace(/\+/g, ' ');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
