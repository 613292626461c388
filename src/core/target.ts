/** Where a request target's path ends and where its query lies, as the routers read them. */

/*
 * Node's HTTP parser lets `#` through in the request-target, and Express and Koa read it as
 * `parseurl` (falling back to `url.parse`) does: the path ends at the first `?` or `#`, and the
 * query runs from a `?` that comes before any `#` up to the next `#` (a fragment, RFC 3986
 * §3.5) or the end. `/x#?a=1` is the path `/x` with no query; `/x?a=1#f` has the query `a=1`.
 * Every part that reads the path or the query of the URL the client sent reads it here, so that
 * none sees a parameter the app does not (or misses one it does). `pathEnd` and `queryOf` run on
 * every request (the cache key, jwt): scans and at most one slice, no regular expression, no URL
 * object.
 */

const QUESTION = 0x3f; // ?
const HASH = 0x23; // #
const SLASH = 0x2f; // /

/**
 * `target` in origin form, as the routers read it: an absolute-form target (RFC 9112 §3.2.2,
 * `http://host/x?a=1`) without its scheme and authority, which end at the first `/`, `?` or `#`
 * after the `://` (`http://host?a=1` is `/?a=1`); any other target (`/x`, `*`) as it is. The
 * origin form, the common case, costs one comparison.
 */
export function originForm(target: string): string {
  if (target.charCodeAt(0) === SLASH) return target;
  const scheme = target.indexOf('://');
  if (scheme === -1) return target;
  let i = scheme + 3;
  for (; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === SLASH || c === QUESTION || c === HASH) break;
  }
  return target.charCodeAt(i) === SLASH ? target.slice(i) : `/${target.slice(i)}`;
}

/**
 * The index at which `target`'s path ends: its first `?` or `#`, else its length (an absolute
 * form's path: `pathEnd(originForm(target))`).
 */
export function pathEnd(target: string): number {
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === QUESTION || c === HASH) return i;
  }
  return target.length;
}

/**
 * The query of `target` without its `?` and without a fragment, or undefined when it has none
 * (no `?`, or only one after a `#`); `''` for a bare `?`. `end` is `pathEnd(target)` when the
 * caller has it.
 */
export function queryOf(target: string, end: number = pathEnd(target)): string | undefined {
  // Bounds first: a charCodeAt past the end (NaN) takes V8's optimised code off its fast path.
  if (end >= target.length || target.charCodeAt(end) !== QUESTION) return undefined;
  const fragment = target.indexOf('#', end + 1);
  return target.slice(end + 1, fragment === -1 ? target.length : fragment);
}

/**
 * The parameters of `query` (as `queryOf` gives it). URLSearchParams drops one leading `?`, which
 * the routers' parsers (querystring, qs) keep as part of the first name: `/x??a=1` has a
 * parameter `?a`, not `a`, for the app.
 */
export function searchParams(query: string): URLSearchParams {
  return new URLSearchParams(query.charCodeAt(0) === QUESTION ? `?${query}` : query);
}

/** `target` without its fragment (a request-target has none: RFC 9112 §3.2). */
export function withoutFragment(target: string): string {
  const fragment = target.indexOf('#');
  return fragment === -1 ? target : target.slice(0, fragment);
}
