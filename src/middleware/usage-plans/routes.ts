/**
 * Which route a request is, as the app's router sees it, for the per-route plan throttles: a
 * route override must not be bypassed by `/PETS`, `/pets/` or `HEAD /pets`, which Express's
 * router and @koa/router serve from the `GET /pets` handler by default.
 */

/** How the app's router compares paths (Express's `case sensitive routing` / `strict routing`). */
export interface RouteMatching {
  /** `/Pets` and `/pets` are different routes. */
  readonly caseSensitive: boolean;
  /** `/pets/` and `/pets` are different routes. */
  readonly strict: boolean;
}

/** `path` without one trailing `/` unless the router is strict (it serves `/pets/` from `/pets`). */
export function unslashedPath(path: string, matching: RouteMatching): string {
  return matching.strict || path.length <= 1 || !path.endsWith('/') ? path : path.slice(0, -1);
}

/** A path as the router compares it: lower-cased unless case-sensitive, one trailing `/` dropped unless strict. */
export function routePath(path: string, matching: RouteMatching): string {
  const compared = unslashedPath(path, matching);
  return matching.caseSensitive ? compared : compared.toLowerCase();
}

/**
 * The override a request falls under: `'<METHOD> <path>'` compared as the router would. A `HEAD`
 * request is served by the `GET` route when there is no `HEAD` route of its own (RFC 9110 §9.3.2;
 * Express and @koa/router both do so), so it takes the `GET` route's bucket.
 */
export function findRoute<T>(
  routes: ReadonlyMap<string, T>,
  method: string,
  path: string,
  matching: RouteMatching,
): T | undefined {
  const compared = routePath(path, matching);
  const own = routes.get(`${method} ${compared}`);
  if (own !== undefined || method !== 'HEAD') return own;
  return routes.get(`GET ${compared}`);
}
