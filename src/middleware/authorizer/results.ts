/**
 * Calling the authorizer function: bounded in time, its answers cached per identity for `ttl` (in
 * this process, and in a shared store when there is one), and concurrent misses for one identity
 * sharing one call.
 */

import { createHash } from 'node:crypto';
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

/** A result as a shared store keeps it: `fn`'s answer and when it expires (the writer's clock). */
interface SharedResult {
  readonly r: unknown;
  readonly e: number;
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
  private readonly reported = new Set<string>();

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

  /** Asks the shared store, then `fn`, about `key` (sharing a call already in progress). */
  decide(key: string, event: () => AuthorizerEvent): Promise<Outcome> {
    if (this.cache === undefined) return this.bounded(() => this.ask(event()));
    const inFlight = this.flights.get(key);
    if (inFlight !== undefined) return inFlight;
    const flight = this.bounded(() => this.sharedOrAsk(key, event)).then((outcome) => {
      this.flights.delete(key);
      return outcome;
    });
    this.flights.set(key, flight);
    return flight;
  }

  /** Forgets every result cached in this process (for tests and for rotating the authorizer's logic). */
  clear(): void {
    this.cache?.clear();
  }

  private async sharedOrAsk(key: string, event: () => AuthorizerEvent): Promise<Outcome> {
    const { store, clock, ttlMs } = this.config;
    const storeKey = store === undefined ? '' : this.storeKey(key);
    if (store !== undefined) {
      const shared = await this.readShared(storeKey);
      if (shared !== undefined) {
        this.remember(key, shared.decision, Math.min(shared.expiresAt, clock.now() + ttlMs));
        return shared.decision;
      }
    }
    const outcome = await this.ask(event());
    if (typeof outcome === 'object') {
      const expiresAt = clock.now() + ttlMs;
      this.remember(key, outcome, expiresAt);
      if (store !== undefined) this.share(storeKey, outcome, expiresAt);
    }
    return outcome;
  }

  private remember(key: string, decision: Decision, expiresAt: number): void {
    this.cache?.set(key, { decision, expiresAt });
  }

  /** The identity never reaches the store in plain text: it is a caller's credential. */
  private storeKey(key: string): string {
    return this.config.storePrefix + createHash('sha256').update(key).digest('base64url');
  }

  /** A fresh, valid result from the shared store; anything else (absent, stale, garbage, store down) is a miss. */
  private async readShared(storeKey: string): Promise<Cached | undefined> {
    try {
      const text = await this.config.store?.get(storeKey);
      if (typeof text !== 'string') return undefined;
      const shared = JSON.parse(text) as SharedResult;
      if (typeof shared?.e !== 'number' || shared.e <= this.config.clock.now()) return undefined;
      return {
        decision: toDecision(shared.r, this.config.routing.caseSensitive),
        expiresAt: shared.e,
      };
    } catch {
      this.report('store', 'could not be read from the shared store; calling fn');
      return undefined;
    }
  }

  /** Stores a decision for the other instances, in the background: a failure only costs them a call. */
  private share(storeKey: string, decision: Decision, expiresAt: number): void {
    const failed = () => this.report('store', 'could not be written to the shared store');
    try {
      const value = JSON.stringify({ r: decision.source, e: expiresAt } satisfies SharedResult);
      Promise.resolve(this.config.store?.set(storeKey, value, this.config.ttlMs)).catch(failed);
    } catch {
      failed();
    }
  }

  /** Runs `work`, answering `'failure'` if it has not settled within `timeoutMs`; never rejects. */
  private bounded(work: () => Promise<Outcome>): Promise<Outcome> {
    const { timeoutMs } = this.config;
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => {
        this.report('fn', `did not answer within ${timeoutMs} ms; answering 500`);
        resolve('failure');
      }, timeoutMs);
      const settle = (outcome: Outcome): void => {
        clearTimeout(timer);
        resolve(outcome);
      };
      work().then(settle, () => settle('failure'));
    });
  }

  /** Calls `fn` once and classifies what it did; never rejects. */
  private ask(event: AuthorizerEvent): Promise<Outcome> {
    const answered = (result: unknown): Outcome => {
      try {
        return toDecision(result, this.config.routing.caseSensitive);
      } catch (err) {
        // Our own reasons only: a hostile result's getters may throw anything.
        const reason = err instanceof MalformedResult ? err.message : 'unreadable';
        this.report('fn', `answered a malformed result (${reason}); answering 500`);
        return 'malformed';
      }
    };
    const threw = (err: unknown): Outcome => {
      if (isUnauthorized(err)) return 'unauthorized';
      // Only the error's kind: its message may quote the caller's token.
      this.report('fn', `threw ${err instanceof Error ? err.name : typeof err}; answering 500`);
      return 'failure';
    };
    // Called as a plain function: `this` inside it is not our configuration.
    const { fn } = this.config;
    try {
      return Promise.resolve(fn(event)).then(answered, threw);
    } catch (err) {
      return Promise.resolve(threw(err));
    }
  }

  /** Tells the app once per kind of trouble, without flooding its logs. */
  private report(kind: 'fn' | 'store', what: string): void {
    if (this.reported.has(kind)) return;
    this.reported.add(kind);
    process.emitWarning(
      `portcullis.authorizer: ${kind === 'fn' ? 'fn(event) ' : 'a result '}${what}`,
      {
        code: 'PORTCULLIS_AUTHORIZER_FAILED',
      },
    );
  }
}
