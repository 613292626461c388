/** The forwarded path: mount prefix matching and stripping, and http-proxy-middleware's `pathRewrite`. */

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

/** `url` without `prefix` (`/orders/1?x` → `/1?x`), or undefined when it is not under it. */
function stripPathPrefix(url: string, prefix: string): string | undefined {
  if (!url.startsWith(prefix)) return undefined;
  const rest = url.slice(prefix.length);
  if (rest === '') return '/';
  if (rest[0] === '/') return rest;
  return rest[0] === '?' ? `/${rest}` : undefined;
}

/** The path and query to forward, or undefined when the request is not under `prefix`. */
export function forwardedPath(
  config: Pick<ProxyConfig, 'prefix' | 'stripPrefix'>,
  url: string,
  originalUrl: string,
): string | undefined {
  let path = url;
  if (config.prefix !== undefined) {
    const rest = stripPathPrefix(url, config.prefix);
    if (rest === undefined) return undefined;
    path = rest;
  }
  return config.stripPrefix ? path : originalUrl;
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
