/** `gateway.cache()`: API Gateway's stage cache as a middleware — TTL, coalescing, stale-if-error. */

import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { createMiddleware } from '../../adapters/universal.js';
import { type Capture, type CaptureResult, captureBody } from '../../core/capture.js';
import type { ApiKeyInfo } from '../../core/context.js';
import { sendPrepared } from '../../core/errors.js';
import type { Exchange, Next } from '../../core/exchange.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import type { CacheEntry } from '../../stores/cache.js';
import { type CacheGetNow, kCacheGetNow } from '../../stores/memory/cache.js';
import { admittedBehind, carriesCredential } from './credentials.js';
import { storeUnencoded } from './encoding.js';
import { type Flight, Flights, type Found, mayLead } from './flights.js';
import {
  asksForRefresh,
  CACHE_STATUS,
  computeEtag,
  forbidsStoring,
  hitStatus,
  storableHeaders,
  unstorableReason,
  upstreamAgeMs,
  varyNames,
} from './headers.js';
import { addInnerCorsHeaders } from './inner-headers.js';
import { baseKey, variantKey } from './key.js';
import {
  ALL_KEYS,
  type InvalidationTarget,
  invalidationMatcher,
  type KeyMatcher,
  MissesInProgress,
  type PendingMiss,
  removeMatching,
} from './manage.js';
import { type CacheOptions, resolveCacheOptions } from './options.js';
import { replaceWithStale, replay } from './replay.js';
import { generationsOf, StoreGuard } from './store-guard.js';

/** Counters and store usage of one `cache()` middleware. */
export interface CacheStats {
  /** Requests answered from the cache (fresh, collapsed onto another request, or stale on error). */
  readonly hits: number;
  /** Requests that ran the handler although they could have been cached. */
  readonly misses: number;
  /** Responses stored in this middleware's namespace. */
  readonly entries: number;
  /** Approximate bytes they take. */
  readonly storedBytes: number;
  /**
   * Store calls that threw, rejected or answered the wrong type. Only the first of an outage is a
   * process warning (`PORTCULLIS_STORE_DOWN`); this counts them all.
   */
  readonly storeErrors: number;
}

/** Management methods attached to the middleware. */
export interface CacheControls {
  /**
   * Removes stored responses: a path (`'/weather'`, every query and variant of it), a path with
   * a query (`'/weather?city=Oslo'`, that query only), or a predicate on the path and the
   * normalised query. Resolves the number of store keys removed.
   */
  invalidate(target: InvalidationTarget): Promise<number>;
  /** Removes every response this middleware stored. */
  clear(): Promise<void>;
  stats(): Promise<CacheStats>;
}

export type CacheMiddleware = GatewayMiddleware & CacheControls;

/** What one miss learns while its response is written. */
interface MissState extends PendingMiss {
  readonly ex: Exchange;
  readonly base: string;
  readonly refresh: boolean;
  /** An expired entry still within `staleIfError`, served if the handler fails. */
  readonly stale: Found | undefined;
  flight: Flight | undefined;
  capture: Capture | undefined;
  /** Set when the response was judged storable at header time. */
  status: number | undefined;
  headers: Array<readonly [string, string | readonly string[]]> | undefined;
  /** The response's headers when it was judged (see `addInnerCorsHeaders`). */
  judged: OutgoingHttpHeaders | undefined;
  vary: readonly string[];
  contentLength: number | undefined;
  /** The upstream's `Age`, in ms: the entry is stored as that much older (RFC 9111 §4.2.3). */
  ageMs: number;
  /** The stale entry replaced the handler's error response. */
  servedStale: boolean;
  /** The API key usage plans had admitted when the cache ran (see `admittedBehind`). */
  readonly admittedBefore: ApiKeyInfo | undefined;
  /**
   * Headers already on the response when the cache ran: set per request by earlier middlewares
   * (rate-limit fields, a request id...). They are set again on every hit, so they are not
   * stored unless the handler changed them.
   */
  readonly before: OutgoingHttpHeaders;
  /** The namespace's invalidation generation when the miss started (stores with `generations`). */
  generation: string | undefined;
}

/**
 * Caches GET (and HEAD) responses for `ttl` seconds: the next identical request is answered
 * from the cache without running the handler. Concurrent misses for one key run the handler
 * once, and wait for it at most `coalesceTimeout`. Responses with credentials, cookies,
 * `no-store`/`private`, `Vary: *`, a 206 status or bodies above `maxEntrySize` are never stored,
 * nor responses to a request with `Cache-Control: no-store`. A store that throws, rejects or
 * answers garbage turns hits into misses, never into errors.
 *
 * @example
 * app.get('/weather', gateway.cache(300), weatherHandler);
 * app.use(gateway.cache({ ttl: 60, query: ['city'], headers: ['accept-language'] }));
 * @see https://www.rfc-editor.org/rfc/rfc9111 (HTTP caching), https://www.rfc-editor.org/rfc/rfc9211 (Cache-Status)
 */
export function cache(ttlOrOptions?: number | CacheOptions): CacheMiddleware {
  const config = resolveCacheOptions(ttlOrOptions);
  const { store, clock } = config;
  /** The memory store's Promise-free read, when the store is one. */
  const getNow = (store as { [kCacheGetNow]?: CacheGetNow })[kCacheGetNow];
  const inflight = new Flights(config.coalesceTimeoutMs);
  const running = new MissesInProgress<MissState>();
  const guard = new StoreGuard(store);
  /** A store shared across processes: invalidation wins there too (see `CacheGenerations`). */
  const generations = generationsOf(store);
  let hits = 0;
  let misses = 0;

  /** Reads the entry for `base`, following a Vary index to the request's variant. Store errors and garbage count as a miss. */
  const find = async (ex: Exchange, base: string): Promise<Found | undefined> => {
    try {
      // `await` takes a value as well as a Promise; a synchronous throw lands in the catch.
      const entry = guard.entry(await store.get(base));
      if (entry?.vary === undefined) return entry && { entry, key: base };
      const key = variantKey(base, entry.vary, ex);
      const variant = guard.entry(await store.get(key));
      return variant && { entry: variant, key };
    } catch (error) {
      guard.fail('get', error);
      return undefined;
    }
  };

  /** `find` through the memory store's synchronous read. */
  const findNow = (ex: Exchange, base: string, get: CacheGetNow): Found | undefined => {
    try {
      const entry = get(base);
      if (entry?.vary === undefined) return entry && { entry, key: base };
      const key = variantKey(base, entry.vary, ex);
      const variant = get(key);
      return variant && { entry: variant, key };
    } catch {
      return undefined;
    }
  };

  const serve = (ex: Exchange, entry: CacheEntry, status: string, now: number): void => {
    hits += 1;
    replay(ex, entry, status, now);
  };

  /**
   * The last hit's `Cache-Status` and the ttl it states: hits in the same second share it (the
   * value changes once a second per entry), so most hits build no string.
   */
  let lastTtl = -1;
  let lastHitStatus = '';
  const serveFresh = (ex: Exchange, entry: CacheEntry, now: number): void => {
    const ttl = Math.ceil((entry.expiresAt - now) / 1000);
    if (ttl !== lastTtl) {
      lastTtl = ttl;
      lastHitStatus = hitStatus(ttl);
    }
    serve(ex, entry, lastHitStatus, now);
  };

  const giveUp = (state: MissState): void => {
    running.delete(state);
    state.capture?.stop();
    state.flight?.settle(undefined);
    state.flight = undefined;
  };

  /** Header hook of a miss: judges the response as it is about to be written. */
  const onMissHeaders = (ex: Exchange, state: MissState): void => {
    if (state.servedStale) return;
    if (admittedBehind(ex, state.admittedBefore)) {
      giveUp(state);
      setCacheStatus(ex, CACHE_STATUS.bypass);
      return;
    }
    const res = ex.res;
    const headers = res.getHeaders();
    const unstorable = unstorableReason(
      res.statusCode,
      headers,
      config.statuses,
      config.maxEntrySize,
    );
    // Capture and replay must agree on the encoding (encoding.ts); unknown: not stored.
    const encodedOutside = state.capture?.encodedOutside();
    if (unstorable !== undefined || encodedOutside === undefined) {
      giveUp(state);
      setCacheStatus(ex, state.refresh ? CACHE_STATUS.refresh : CACHE_STATUS.miss);
      return;
    }
    state.status = res.statusCode;
    state.headers = storableHeaders(headers, state.before);
    if (encodedOutside) storeUnencoded(state.headers);
    state.judged = headers;
    state.vary = varyNames(headers.vary);
    state.ageMs = upstreamAgeMs(headers.age);
    const length = headers['content-length'];
    state.contentLength = length === undefined ? undefined : Number(length);
    setCacheStatus(ex, state.refresh ? CACHE_STATUS.refreshed : CACHE_STATUS.stored);
  };

  /** End of a miss's response: stores it when it came out whole. */
  const finishMiss = (state: MissState, result: CaptureResult): void => {
    const { status, headers } = state;
    if (
      !result.complete ||
      status === undefined ||
      headers === undefined ||
      (state.contentLength !== undefined && state.contentLength !== result.body.length)
    ) {
      giveUp(state);
      return;
    }
    // A cors() mounted after the cache added its headers once this response was judged.
    const vary = addInnerCorsHeaders(headers, state.judged!, state.ex.res.getHeaders());
    if (vary !== undefined) state.vary = varyNames(vary);
    const body = result.body;
    const now = clock.now();
    const expiresAt = now + config.ttlMs;
    const staleUntil = expiresAt + config.staleIfErrorMs;
    // A strong validator of our own when the response has none, so hits can answer 304.
    if (status === 200 && !headers.some(([name]) => name === 'etag'))
      headers.push(['etag', computeEtag(body)]);
    const storedAt = now - state.ageMs;
    const entry: CacheEntry = { status, headers, body, storedAt, expiresAt, staleUntil };
    let key = state.base;
    if (state.vary.length > 0) {
      key = variantKey(state.base, state.vary, state.ex);
      const index: CacheEntry = {
        status: 0,
        headers: [],
        body: EMPTY,
        storedAt: now,
        expiresAt,
        staleUntil,
        vary: state.vary,
      };
      write(state, state.base, index);
    }
    state.flight?.settle({ entry, key, vary: state.vary });
    state.flight = undefined;
    write(state, key, entry);
    running.delete(state);
  };

  /**
   * Stores what a miss fetched, unless `invalidate()` named its key while the handler ran: the
   * invalidation wins. The client already has the response: a failing store only costs a later miss.
   */
  const write = (state: MissState, key: string, entry: CacheEntry): void => {
    if (state.invalidated) return;
    if (generations === undefined) running.track(guard.set(key, entry));
    // Without a generation (its read failed) an invalidation elsewhere cannot be ruled out.
    else if (state.generation !== undefined)
      running.track(guard.setIf(generations, config.prefix, state.generation, key, entry));
  };

  /** `beforeWrite` of a miss with a stale entry: swaps a 5xx for the stale response. */
  const serveStaleOnError = (state: MissState, res: ServerResponse): Buffer | undefined => {
    const stale = state.stale!;
    const now = clock.now();
    if (res.statusCode < 500 || now >= stale.entry.staleUntil) return undefined;
    state.servedStale = true;
    giveUp(state);
    hits += 1;
    return replaceWithStale(state.ex, stale.entry, now);
  };

  /** Runs the handler; stores its response when it turns out cacheable. */
  const miss = (
    ex: Exchange,
    next: Next,
    base: string,
    options: { lead: boolean; refresh: boolean; stale: Found | undefined },
  ): PromiseLike<void> => {
    misses += 1;
    const { refresh, stale } = options;
    ex.gateway.cache = refresh ? CACHE_STATUS.refresh : CACHE_STATUS.miss;
    // A HEAD response has no body to store; it is answered from the GET entry once there is one.
    // A request's no-store forbids storing the response to it (RFC 9111 §5.2.1.5).
    if (ex.method === 'HEAD' || forbidsStoring(ex.header('cache-control'))) {
      ex.onHeaders(setCacheStatus, ex.gateway.cache);
      return next();
    }
    const state: MissState = {
      ex,
      base,
      refresh,
      stale,
      flight: options.lead ? inflight.start(base, stale) : undefined,
      capture: undefined,
      status: undefined,
      headers: undefined,
      judged: undefined,
      vary: [],
      contentLength: undefined,
      ageMs: 0,
      servedStale: false,
      admittedBefore: ex.gateway.apiKey,
      before: ex.res.getHeaders(),
      invalidated: false,
      generation: undefined,
    };
    running.add(state);
    // Capture first: its header hook (stale-if-error on an explicit writeHead) must run before
    // onMissHeaders judges the response.
    state.capture = captureBody(ex, {
      limit: config.maxEntrySize,
      beforeWrite: stale === undefined ? undefined : (res) => serveStaleOnError(state, res),
      onEnd: (result) => finishMiss(state, result),
    });
    ex.onHeaders(onMissHeaders, state);
    if (generations === undefined) return next();
    // Read before the handler runs: an invalidation after this read is one the response may predate.
    return guard.generation(generations, config.prefix).then((generation) => {
      state.generation = generation;
      return next();
    });
  };

  /** Waits for the request already fetching `base`; uses its response when it is ours too. */
  const follow = async (ex: Exchange, next: Next, base: string, flight: Flight): Promise<void> => {
    const stored = await flight.promise;
    if (stored !== undefined && variantKey(base, stored.vary, ex) === stored.key) {
      serve(ex, stored.entry, CACHE_STATUS.collapsed, clock.now());
      return;
    }
    if (flight.abandoned) return rejoin(ex, next, base, flight);
    // Uncacheable: never another request's response; this one runs the handler itself.
    return miss(ex, next, base, { lead: false, refresh: false, stale: flight.stale });
  };

  /**
   * After the leader outlasted `coalesceTimeout`: the first waiter to get here leads a new flight
   * (synchronously, so the next one sees it) and the others wait for that one, not a stampede.
   */
  const rejoin = (ex: Exchange, next: Next, base: string, abandoned: Flight): PromiseLike<void> => {
    const current = inflight.get(base);
    if (current !== undefined) return follow(ex, next, base, current);
    return miss(ex, next, base, { lead: mayLead(ex), refresh: false, stale: abandoned.stale });
  };

  /**
   * Makes the misses in flight for `matches` deliver without storing, and lets later requests
   * start their own; then waits for the writes already issued, so that the store's keys include them.
   */
  const stopMisses = async (matches: KeyMatcher): Promise<void> => {
    running.invalidate(matches, (state) => {
      if (state.flight !== undefined) inflight.detach(state.base, state.flight);
    });
    await running.settled();
  };

  /**
   * Before removing entries: the misses other instances are running will not store after it
   * (a write checked before the bump is already in the store, and removed after it).
   */
  const bumpGeneration = async (): Promise<void> => {
    if (generations !== undefined) await generations.bump(config.prefix);
  };

  const lookup = (ex: Exchange, next: Next, base: string): void | PromiseLike<void> => {
    const waiting = inflight.get(base);
    if (waiting !== undefined) return follow(ex, next, base, waiting);
    if (getNow !== undefined) return answer(ex, next, base, findNow(ex, base, getNow));
    return find(ex, base).then((found) => answer(ex, next, base, found));
  };

  /** A hit, another request's flight to wait for, or a miss, once the store has been read. */
  const answer = (
    ex: Exchange,
    next: Next,
    base: string,
    found: Found | undefined,
  ): void | PromiseLike<void> => {
    const now = clock.now();
    if (found !== undefined && now < found.entry.expiresAt) return serveFresh(ex, found.entry, now);
    // Another request may have started fetching while we read the store.
    const started = inflight.get(base);
    if (started !== undefined) return follow(ex, next, base, started);
    const stale = found !== undefined && now < found.entry.staleUntil ? found : undefined;
    return miss(ex, next, base, { lead: mayLead(ex), refresh: false, stale });
  };

  const refreshOrLookup = (ex: Exchange, next: Next, base: string, refresh: boolean) =>
    refresh
      ? miss(ex, next, base, { lead: false, refresh: true, stale: undefined })
      : lookup(ex, next, base);

  const middleware = createMiddleware(
    'cache',
    function cache(ex, next) {
      if (config.ttlMs === 0) return next();
      const method = ex.method;
      if (method !== 'GET' && method !== 'HEAD') return next();
      // RFC 9111 §3.5: a shared cache must not reuse a response to a request with credentials.
      if (carriesCredential(config, ex)) {
        ex.gateway.cache = CACHE_STATUS.bypass;
        ex.onHeaders(bypassHeaders, ex.gateway.apiKey);
        return next();
      }
      const base = baseKey(config, ex);
      if (!asksForRefresh(ex.header('cache-control'), ex.header('pragma')))
        return lookup(ex, next, base);
      const { invalidation } = config;
      if (invalidation === 'deny') return sendPrepared(ex, config.forbidden);
      if (typeof invalidation !== 'function')
        return refreshOrLookup(ex, next, base, invalidation === 'allow');
      return Promise.resolve(invalidation(ex.native)).then((allowed) =>
        refreshOrLookup(ex, next, base, allowed === true),
      );
    },
    {
      async invalidate(target: InvalidationTarget): Promise<number> {
        const matches = invalidationMatcher(config, target);
        await stopMisses(matches);
        await bumpGeneration();
        return removeMatching(config, matches);
      },
      async clear(): Promise<void> {
        await stopMisses(ALL_KEYS);
        await bumpGeneration();
        await store.clear(config.prefix);
      },
      async stats(): Promise<CacheStats> {
        const usage = await guard.usage(config.prefix);
        return { hits, misses, ...usage, storeErrors: guard.errors };
      },
    },
  );
  return middleware;
}

const EMPTY = Buffer.alloc(0);

/** Header hook of a request that bypassed the cache for its credentials. */
function bypassHeaders(ex: Exchange, admittedBefore: ApiKeyInfo | undefined): void {
  setCacheStatus(ex, CACHE_STATUS.bypass);
  admittedBehind(ex, admittedBefore);
}

/** Header hook: sets `Cache-Status` (after any upstream cache's, RFC 9211 §2) and the gateway context. */
function setCacheStatus(ex: Exchange, value: string): void {
  const upstream = ex.getHeader('cache-status');
  ex.setHeader('cache-status', upstream === undefined ? value : `${String(upstream)}, ${value}`);
  ex.gateway.cache = value;
}
