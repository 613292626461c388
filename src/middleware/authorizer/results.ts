/**
 * Calling the authorizer function: bounded in time, its answers cached per identity for `ttl`, and
 * concurrent misses for one identity sharing one call.
 */

import { LRUCache } from 'lru-cache';
import type { AuthorizerConfig } from './options.js';
import { type Decision, MalformedResult, toDecision } from './policy.js';
import type { AuthorizerEvent } from './types.js';

/** What a call came to: a decision to evaluate, or the refusal that ends the request. */
export type Outcome = Decision | 'unauthorized' | 'failure' | 'malformed';

/** What a result may take on average: a decision and an identity of a few hundred characters. */
const RESULT_BYTES = 2048;

interface Cached {
  readonly decision: Decision;
  /** Time (ms, the configured clock) after which the decision is not used. */
  readonly expiresAt: number;
}

/** The Lambda convention: `throw new Error('Unauthorized')` (or `callback('Unauthorized')`) asks for a 401. */
function isUnauthorized(err: unknown): boolean {
  return err === 'Unauthorized' || (err instanceof Error && err.message === 'Unauthorized');
}

/**
 * One middleware's results. Only decisions (Allow and Deny alike, as API Gateway caches policies)
 * are cached; an `Unauthorized` or a failure is not, so that a caller whose token was refused
 * once by a transient fault is asked about again on the next request.
 */
export class AuthorizerResults {
  private readonly cache: LRUCache<string, Cached> | undefined;
  /** Calls in progress by identity key, so that concurrent misses share one. */
  private readonly flights = new Map<string, Promise<Outcome>>();
  private reported = false;

  constructor(private readonly config: AuthorizerConfig) {
    this.cache =
      config.ttlMs > 0
        ? new LRUCache({
            max: config.cacheSize,
            // Identities are the client's (a Deny for garbage tokens is cached too): bound the
            // bytes, not only the count, or 10 000 results for 16 KiB tokens would take 160 MB.
            maxSize: config.cacheSize * RESULT_BYTES,
            sizeCalculation: (_decision, key) => RESULT_BYTES / 4 + 2 * key.length,
          })
        : undefined;
  }

  /** A cached decision still fresh for `key`, without a Promise (the hot path). */
  cached(key: string): Decision | undefined {
    const entry = this.cache?.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.config.clock.now()) return entry.decision;
    this.cache?.delete(key);
    return undefined;
  }

  /** Asks `fn` about `key` (sharing a call already in progress), caching a decision. */
  decide(key: string, event: () => AuthorizerEvent): Promise<Outcome> {
    if (this.cache === undefined) return this.call(event());
    const inFlight = this.flights.get(key);
    if (inFlight !== undefined) return inFlight;
    const flight = this.call(event()).then((outcome) => {
      this.flights.delete(key);
      if (typeof outcome === 'object')
        this.cache?.set(key, {
          decision: outcome,
          expiresAt: this.config.clock.now() + this.config.ttlMs,
        });
      return outcome;
    });
    this.flights.set(key, flight);
    return flight;
  }

  /** Forgets every cached result (for tests and for rotating the authorizer's logic). */
  clear(): void {
    this.cache?.clear();
  }

  /** Calls `fn` once; never rejects, and settles within `timeoutMs` whatever `fn` does. */
  private call(event: AuthorizerEvent): Promise<Outcome> {
    const { fn, timeoutMs, routing } = this.config;
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => {
        this.report(`did not answer within ${timeoutMs} ms`);
        resolve('failure');
      }, timeoutMs);
      const settle = (outcome: Outcome): void => {
        clearTimeout(timer);
        resolve(outcome);
      };
      const answered = (result: unknown): void => {
        try {
          settle(toDecision(result, routing.caseSensitive));
        } catch (err) {
          // Our own reasons only: a hostile result's getters may throw anything.
          const reason = err instanceof MalformedResult ? err.message : 'unreadable';
          this.report(`answered a malformed result (${reason})`);
          settle('malformed');
        }
      };
      const threw = (err: unknown): void => {
        if (isUnauthorized(err)) {
          settle('unauthorized');
          return;
        }
        // Only the error's kind: its message may quote the caller's token.
        this.report(`threw ${err instanceof Error ? err.name : typeof err}`);
        settle('failure');
      };
      try {
        Promise.resolve(fn(event)).then(answered, threw);
      } catch (err) {
        threw(err);
      }
    });
  }

  /** Tells the app once why requests get 500, without flooding its logs. */
  private report(what: string): void {
    if (this.reported) return;
    this.reported = true;
    process.emitWarning(`portcullis.authorizer: fn(event) ${what}; answering 500`, {
      code: 'PORTCULLIS_AUTHORIZER_FAILED',
    });
  }
}
