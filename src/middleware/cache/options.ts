/** `cache()` options, their defaults, and the resolved (validated, frozen) configuration. */

import { type Clock, systemClock } from '../../core/clock.js';
import { type PreparedResponse, prepareErrorResponse } from '../../core/errors.js';
import type { AnyRequest } from '../../core/middleware.js';
import {
  assertBoolean,
  assertKnownOptions,
  assertNumber,
  assertOptionsObject,
  HTTP_TOKEN,
  optionRangeError,
  optionTypeError,
  stripUndefined,
  tokenList,
} from '../../core/validate.js';
import type { CacheStore } from '../../stores/cache.js';
import { memoryCacheStore } from '../../stores/memory/cache.js';

/** Decides whether a request may refresh its cache entry (`Cache-Control: no-cache`). */
export type InvalidationPredicate<Req = AnyRequest> = (req: Req) => boolean | Promise<boolean>;

export interface CacheOptions<Req = AnyRequest> {
  /** Seconds a response stays fresh; `0` turns the cache off. @default 300 */
  ttl?: number;
  /** Largest `ttl` accepted (API Gateway's limit). @default 3600 */
  maxTtl?: number;
  /**
   * Response statuses that are stored (e.g. add 203, 204, 301, 404). 206 is refused: the key does
   * not hold the range, so a partial body would answer requests for the whole or another range.
   * @default [200]
   */
  statuses?: readonly number[];
  /**
   * Which query parameters are part of the key (parameters are sorted, so their order does not
   * matter): `true` all of them, a list only those (API Gateway's cache key parameters), `false`
   * none.
   * @default true
   */
  query?: readonly string[] | boolean;
  /**
   * Whether the host the request was made to, and its protocol, are part of the key, as the app
   * sees them (the forwarded ones when Express's `trust proxy` / Koa's `app.proxy` trusts the
   * proxy): virtual hosts of one app never share entries. `false` for an app served under one
   * host only (requests with another `Host` then share its entries).
   * @default true
   */
  host?: boolean;
  /**
   * Request headers that are part of the key, e.g. `['accept-language']`. Listing
   * `authorization` or `cookie` makes the cache per credential, and so allowed for them.
   * @default []
   */
  headers?: readonly string[];
  /**
   * An extra part of the key computed from the request (Express `req` / Koa `ctx`), e.g. a
   * tenant id. Synchronous; a throw fails the request (never a shared entry).
   */
  key?: (req: Req) => string;
  /**
   * Serve and store requests that carry `Authorization`, `Cookie` or an API key (`apiKeyHeader`)
   * although their key does not include the credential. Only when every user may see every
   * response (RFC 9111 §3.5).
   * @default false
   */
  shared?: boolean;
  /**
   * The request header of usage-plan API keys (`usagePlans()`'s `header`). A request that carries
   * it uses the cache only once a `usagePlans()` mounted before the cache has admitted it: admitted
   * callers share entries, as API Gateway's cache does. Otherwise (no usage plans, or mounted after
   * the cache) it bypasses the cache, so that a key the cache has not seen checked never decides
   * who gets a stored response. Listing the header in `headers` caches per key instead; `false`
   * when no such header is to be heeded.
   * @default 'x-api-key'
   */
  apiKeyHeader?: string | false;
  /**
   * What a request's `Cache-Control: no-cache` / `max-age=0` (or `Pragma: no-cache`) does:
   * `'ignore'` nothing (a client cannot bust the cache and hammer the backend); `'allow'` it
   * fetches a fresh response and replaces the entry; `'deny'` it is answered 403; a function
   * decides per request (API Gateway's "require authorization"): `true` refreshes, `false` ignores.
   *
   * The request directives the TTL mode honours are these and `no-store` (the response to that
   * request is not stored, RFC 9111 §5.2.1.5; it may still be answered from the cache). Others
   * (`max-age` above 0, `max-stale`, `min-fresh`, `only-if-cached`, `no-transform`) are ignored:
   * the TTL is the operator's, as in API Gateway.
   * @default 'ignore'
   */
  invalidation?: 'ignore' | 'allow' | 'deny' | InvalidationPredicate<Req>;
  /**
   * Most seconds a request waits for an identical request already fetching (coalescing). Past it,
   * the waiters stop waiting: one of them fetches and stores, the others wait for that one.
   * @default 5
   */
  coalesceTimeout?: number;
  /**
   * Seconds after expiry during which an entry is served (`Cache-Status: ...; detail=stale`)
   * instead of a 5xx from the handler or a failed proxy request.
   * @default 0
   */
  staleIfError?: number;
  /** Largest body stored, in bytes; larger responses are still delivered in full, not stored. @default 1 MiB */
  maxEntrySize?: number;
  /**
   * Bytes kept by the built-in memory store (bodies, headers, keys and ~768 B per entry for the
   * objects holding them); least-recently-used entries are evicted. Not with `store`. @default 64 MiB
   */
  maxSize?: number;
  /**
   * Where entries are kept: a `CacheStore` (e.g. one `memoryCacheStore()` shared by several
   * routes), or a gateway store that carries one as `.cache` (`memoryStore()`, later Redis).
   * @default a memoryCacheStore({ maxSize }) of its own
   */
  store?: CacheStore | { readonly cache: CacheStore };
  /**
   * Prefix of this middleware's keys in the store. Give it a stable name when the store is
   * shared between processes (Redis).
   * @default 'cache<n>' (n counts the cache() middlewares created)
   */
  namespace?: string;
  /** Time source (tests pass a manual clock). @default systemClock */
  clock?: Clock;
}

export const CACHE_DEFAULTS = {
  ttl: 300,
  maxTtl: 3600,
  statuses: [200],
  query: true,
  host: true,
  headers: [],
  key: undefined,
  shared: false,
  apiKeyHeader: 'x-api-key',
  invalidation: 'ignore',
  coalesceTimeout: 5,
  staleIfError: 0,
  maxEntrySize: 1024 * 1024,
  maxSize: 64 * 1024 * 1024,
  store: undefined,
  namespace: undefined,
  clock: systemClock,
} as const satisfies CacheOptions;

const KNOWN_OPTIONS = Object.keys(CACHE_DEFAULTS);

/** The resolved configuration. Times in milliseconds. */
export interface CacheConfig {
  readonly ttlMs: number;
  readonly statuses: ReadonlySet<number>;
  /** `true`: every parameter; a set: only those; `false`: none. */
  readonly query: boolean | ReadonlySet<string>;
  /** Whether `<protocol>://<host>` is part of the key. */
  readonly host: boolean;
  /** Lower-case request header names in the key. */
  readonly headers: readonly string[];
  readonly key: ((req: unknown) => string) | undefined;
  /** Request headers whose presence makes a request bypass the cache (lower case). */
  readonly credentials: readonly string[];
  /** The API key header a request may carry only once usage plans admitted it (lower case). */
  readonly apiKeyHeader: string | undefined;
  readonly invalidation: 'ignore' | 'allow' | 'deny' | InvalidationPredicate<unknown>;
  readonly staleIfErrorMs: number;
  readonly coalesceTimeoutMs: number;
  readonly maxEntrySize: number;
  readonly store: CacheStore;
  /** Key prefix, ending in ':'. */
  readonly prefix: string;
  readonly clock: Clock;
  /** The 403 for `invalidation: 'deny'`. */
  readonly forbidden: PreparedResponse;
}

const SCOPE = 'cache';
const INVALIDATION_MODES = ['ignore', 'allow', 'deny'];
let namespaceCounter = 0;

/** Validates `options` (or a TTL in seconds) and computes everything request-independent. */
export function resolveCacheOptions(ttlOrOptions: number | CacheOptions = {}): CacheConfig {
  const options = typeof ttlOrOptions === 'number' ? { ttl: ttlOrOptions } : ttlOrOptions;
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const given = stripUndefined(options);
  const o = { ...CACHE_DEFAULTS, ...given };
  assertNumber(SCOPE, 'maxTtl', o.maxTtl, { min: 0, expected: 'a number of seconds (0 or more)' });
  assertNumber(SCOPE, 'ttl', o.ttl, {
    min: 0,
    max: o.maxTtl,
    expected: `a number of seconds from 0 to maxTtl (${o.maxTtl})`,
  });
  assertNumber(SCOPE, 'staleIfError', o.staleIfError, {
    min: 0,
    expected: 'a number of seconds (0 or more)',
  });
  assertNumber(SCOPE, 'coalesceTimeout', o.coalesceTimeout, {
    min: 0.001,
    // setTimeout's limit (about 24.8 days).
    max: 2_147_483,
    expected: 'a number of seconds above 0 (at most 2147483)',
  });
  for (const name of ['maxEntrySize', 'maxSize'] as const) {
    assertNumber(SCOPE, name, o[name], {
      min: 1,
      integer: true,
      expected: 'a whole number of bytes (1 or more)',
    });
  }
  assertBoolean(SCOPE, 'shared', o.shared);
  assertBoolean(SCOPE, 'host', o.host);
  if (given.store !== undefined && given.maxSize !== undefined) {
    throw new TypeError(
      'portcullis.cache: options "store" and "maxSize" cannot be combined; size the store itself',
    );
  }
  const store = resolveStore(o.store) ?? memoryCacheStore({ maxSize: o.maxSize, clock: o.clock });
  if (typeof o.clock?.now !== 'function')
    throw optionTypeError(SCOPE, 'clock', 'an object with now()', o.clock);
  if (o.key !== undefined && typeof o.key !== 'function')
    throw optionTypeError(SCOPE, 'key', 'a function (req) => string', o.key);
  if (typeof o.invalidation !== 'function' && !INVALIDATION_MODES.includes(o.invalidation))
    throw optionTypeError(
      SCOPE,
      'invalidation',
      "'ignore', 'allow', 'deny' or a function",
      o.invalidation,
    );
  const headers = tokenList(SCOPE, 'headers', o.headers).map((name) => name.toLowerCase());
  const namespace = o.namespace ?? `cache${++namespaceCounter}`;
  if (typeof namespace !== 'string' || namespace === '' || namespace.includes(':'))
    throw optionTypeError(SCOPE, 'namespace', 'a non-empty string without ":"', namespace);
  return Object.freeze({
    ttlMs: o.ttl * 1000,
    statuses: new Set(resolveStatuses(o.statuses)),
    query: resolveQuery(o.query),
    host: o.host,
    headers: Object.freeze(headers),
    key: o.key as CacheConfig['key'],
    ...resolveCredentials(o.shared, o.apiKeyHeader, headers),
    invalidation: o.invalidation as CacheConfig['invalidation'],
    staleIfErrorMs: o.staleIfError * 1000,
    coalesceTimeoutMs: o.coalesceTimeout * 1000,
    maxEntrySize: o.maxEntrySize,
    store,
    prefix: `${namespace}:`,
    clock: o.clock,
    forbidden: prepareErrorResponse('forbidden', undefined, SCOPE, 'invalidation'),
  });
}

/**
 * The credentials a request must not carry to use the cache: those the key does not include,
 * none with `shared` (RFC 9111 §3.5: a shared cache does not reuse a response to a request with
 * `Authorization`; cookies and API keys identify a caller just as well).
 */
function resolveCredentials(
  shared: boolean,
  apiKeyHeader: unknown,
  keyed: readonly string[],
): Pick<CacheConfig, 'credentials' | 'apiKeyHeader'> {
  if (
    apiKeyHeader !== false &&
    (typeof apiKeyHeader !== 'string' || !HTTP_TOKEN.test(apiKeyHeader))
  )
    throw optionTypeError(SCOPE, 'apiKeyHeader', 'a header name or false', apiKeyHeader);
  if (shared) return { credentials: Object.freeze([]), apiKeyHeader: undefined };
  const apiKey = apiKeyHeader === false ? undefined : apiKeyHeader.toLowerCase();
  return {
    credentials: Object.freeze(['authorization', 'cookie'].filter((name) => !keyed.includes(name))),
    apiKeyHeader: apiKey === undefined || keyed.includes(apiKey) ? undefined : apiKey,
  };
}

const CACHE_STORE_METHODS = ['get', 'set', 'delete', 'keys', 'clear', 'usage'] as const;

function isCacheStore(value: unknown): value is CacheStore {
  return (
    typeof value === 'object' &&
    value !== null &&
    CACHE_STORE_METHODS.every(
      (name) => typeof (value as Record<string, unknown>)[name] === 'function',
    )
  );
}

/** The cache store given directly, or carried by a gateway store as `.cache`. */
function resolveStore(value: unknown): CacheStore | undefined {
  if (value === undefined) return undefined;
  if (isCacheStore(value)) return value;
  const carried = (value as { cache?: unknown } | null)?.cache;
  if (isCacheStore(carried)) return carried;
  throw optionTypeError(SCOPE, 'store', 'a CacheStore or a store with a .cache CacheStore', value);
}

function resolveStatuses(value: unknown): number[] {
  if (!Array.isArray(value) || value.length === 0)
    throw optionTypeError(SCOPE, 'statuses', 'a non-empty array of HTTP statuses', value);
  for (const status of value) {
    assertNumber(SCOPE, 'statuses', status, {
      min: 200,
      max: 599,
      integer: true,
      expected: 'a list of HTTP statuses from 200 to 599',
    });
    // A 206 answers one range; the key does not hold it (RFC 9111 §3.3 would need the range).
    if (status === 206)
      throw optionRangeError(
        SCOPE,
        'statuses',
        'a list of statuses without 206 (a partial response is never stored)',
        value,
      );
  }
  return value;
}

function resolveQuery(value: unknown): boolean | ReadonlySet<string> {
  if (typeof value === 'boolean') return value;
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string' || name === ''))
    throw optionTypeError(SCOPE, 'query', 'true, false or an array of parameter names', value);
  return new Set(value as string[]);
}
