/**
 * An issuer's JSON Web Key Set, fetched with jwks-rsa and kept here by `kid`. jwks-rsa's own
 * cache and rate limiter are not used: they read the wall clock (expiry could not be tested
 * without sleeping) and answer every lookup through a promise, where a cached key is read here
 * synchronously.
 */

import { createPublicKey, type KeyObject } from 'node:crypto';
import { JwksClient } from 'jwks-rsa';
import type { Clock } from '../../core/clock.js';

/** A verification key of the set, with the `alg` its JWK declares (if any). */
export interface SetKey {
  readonly key: KeyObject;
  readonly alg: string | undefined;
}

/** What a lookup found: the key, `'unknown'` (no such `kid`, even after a refetch), or `'unavailable'` (no set). */
export type KeyLookup = SetKey | 'unknown' | 'unavailable';

export interface KeySetOptions {
  readonly uri: string;
  /** Milliseconds a fetched set is used. */
  readonly maxAge: number;
  /** Refetches for unknown `kid`s allowed in any 60 s. */
  readonly refetchesPerMinute: number;
  /** Milliseconds after a failed fetch during which no set is fetched again (requests get the 500). */
  readonly retryAfter: number;
  /** Milliseconds a fetch may take in all. */
  readonly timeout: number;
  readonly clock: Clock;
}

interface Fetched {
  readonly byKid: ReadonlyMap<string, SetKey>;
  /** The only key, for tokens without `kid` (jwks-rsa's rule: only when the set has one). */
  readonly single: SetKey | undefined;
  readonly expiresAt: number;
}

const MINUTE = 60_000;

export class KeySet {
  private readonly client: JwksClient;
  private fetched: Fetched | undefined;
  /** The fetch under way, shared by every request that needs it. */
  private inflight: Promise<Fetched | undefined> | undefined;
  /** When the recent refetches for unknown `kid`s started (the last minute's). */
  private refetches: number[] = [];
  /**
   * Until when a set that is needed is not fetched again, after a fetch failed: without it, every
   * request with a token would start a fetch while the issuer is down (one at a time, but back to
   * back), passing the app's whole load on to a failing issuer.
   */
  private failedUntil = 0;

  constructor(private readonly options: KeySetOptions) {
    this.client = new JwksClient({
      jwksUri: options.uri,
      cache: false,
      rateLimit: false,
      fetcher: (uri) => fetchKeySet(uri, options.timeout),
    });
  }

  /** When the set in use must be fetched again: a cached token checked with it lives no longer. */
  get expiresAt(): number {
    return this.fetched?.expiresAt ?? 0;
  }

  /** The key for `kid`: synchronous while the set is fresh and has it. */
  lookup(kid: string | undefined): KeyLookup | Promise<KeyLookup> {
    const now = this.options.clock.now();
    const fetched = this.fetched;
    if (fetched === undefined || now >= fetched.expiresAt) {
      if (this.inflight === undefined && now < this.failedUntil) return 'unavailable';
      return this.refresh().then((set) => (set === undefined ? 'unavailable' : find(set, kid)));
    }
    const found = find(fetched, kid);
    if (found !== 'unknown' || !this.mayRefetch(now)) return found;
    // An unknown kid may be a key the issuer just rotated in: fetch once more (rate-limited).
    return this.refresh().then((set) => find(set ?? fetched, kid));
  }

  private mayRefetch(now: number): boolean {
    this.refetches = this.refetches.filter((at) => now - at < MINUTE);
    if (this.refetches.length >= this.options.refetchesPerMinute) return false;
    this.refetches.push(now);
    return true;
  }

  /** Fetches the set (one fetch at a time); undefined when it failed or took too long. */
  private refresh(): Promise<Fetched | undefined> {
    if (this.inflight === undefined) {
      this.inflight = this.fetchWithin().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private failed(): undefined {
    this.failedUntil = this.options.clock.now() + this.options.retryAfter;
    return undefined;
  }

  private async fetchWithin(): Promise<Fetched | undefined> {
    let timer: NodeJS.Timeout | undefined;
    // The fetch aborts itself at the same time; this bounds the wait whatever else is slow.
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, this.options.timeout, undefined);
    });
    try {
      const keys = await Promise.race([
        this.client.getSigningKeys().catch(() => undefined),
        deadline,
      ]);
      if (keys === undefined) return this.failed();
      this.fetched = toFetched(keys, this.options.clock.now() + this.options.maxAge);
      return this.fetched;
    } catch {
      // A key Node cannot import: the set is unusable, as if it could not be fetched.
      return this.failed();
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The most a key set's body may hold. Real sets are a few kilobytes (a few dozen with `x5c`
 * certificate chains); an endpoint answering more is broken or hostile, and reading it whole
 * would hold that much memory for every refetch.
 */
export const MAX_KEY_SET_BYTES = 1024 * 1024;

/**
 * GETs the set with the whole exchange bounded by `timeout` ms. jwks-rsa's own request bounds
 * only the socket's idle time: an issuer sending a byte a second would hold it (and its socket)
 * forever. A redirect is refused, as jwks-rsa's own request refuses it: `fetch` would follow it,
 * even from `https:` to plain `http:`, where anyone on the path could hand over their own keys.
 */
async function fetchKeySet(uri: string, timeout: number): Promise<{ keys: unknown }> {
  const res = await fetch(uri, {
    headers: { accept: 'application/json' },
    redirect: 'error',
    signal: AbortSignal.timeout(timeout),
  });
  if (!res.ok) throw new Error(`the key set answered ${res.status}`);
  return JSON.parse(await boundedText(res, MAX_KEY_SET_BYTES)) as { keys: unknown };
}

/** The body as text, or an error (the body cancelled) once it passes `limit` bytes. */
async function boundedText(res: Response, limit: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > limit || res.body === null) {
    await res.body?.cancel();
    if (res.body === null) return '';
    throw new Error(`the key set is over ${limit} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw new Error(`the key set is over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toFetched(
  keys: ReadonlyArray<{ kid?: string; alg?: string; getPublicKey(): string }>,
  expiresAt: number,
): Fetched {
  const byKid = new Map<string, SetKey>();
  const all: SetKey[] = [];
  for (const k of keys) {
    const entry: SetKey = Object.freeze({ key: createPublicKey(k.getPublicKey()), alg: k.alg });
    all.push(entry);
    if (typeof k.kid === 'string') byKid.set(k.kid, entry);
  }
  return Object.freeze({ byKid, single: all.length === 1 ? all[0] : undefined, expiresAt });
}

function find(set: Fetched, kid: string | undefined): SetKey | 'unknown' {
  const found = kid === undefined ? set.single : set.byKid.get(kid);
  return found ?? 'unknown';
}
