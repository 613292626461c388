/**
 * What `redisStore()` needs of an ioredis client, and the guard every Redis call goes through.
 *
 * The rule that keeps shared counts exact: a call is either never sent, or decided by Redis.
 * - Redis is deemed unavailable from the connection (the client is not `ready`: closed, refused,
 *   reconnecting) and from `failureThreshold` consecutive failed calls (the circuit opens for
 *   `retryMs`, then one probe call closes it or opens it again). Calls are then refused at once,
 *   never queued, so nothing is sent that a fallback also decided.
 * - A sent call is awaited until it answers, fails, or `timeoutMs` of real time has passed. The
 *   give-up only happens after the replies already received are read (so event-loop lag caused
 *   by the app itself is never taken for a slow Redis), and every charging script carries a
 *   deadline in Redis time (`TIME`) before which the gateway cannot have given up: a call that
 *   reaches Redis later (a stalled server, ioredis replaying it after a reconnect or a cluster
 *   failover) changes nothing. So a request answered without Redis is never also counted there.
 */

import type { Cluster, Redis } from 'ioredis';

/** An ioredis client or cluster client, owned and connected by the app. */
export type RedisClient = Redis | Cluster;

/** Runs one Redis call under the store's timeout and health tracking. */
export type RedisCall = <T>(run: () => Promise<T>) => Promise<T>;

/**
 * Runs one charging script call: `run` gets the deadline (ms, Redis time, as a string) after which
 * the script must change nothing, and resolves `EXPIRED` when it did so.
 */
export type ChargeCall = <T>(run: (deadline: string) => Promise<T | typeof EXPIRED>) => Promise<T>;

/** What a charging script answers when it ran past its deadline (and changed nothing). */
export const EXPIRED = -2;

/** Raised when Redis does not answer within the store's `timeoutMs`. */
export class StoreTimeoutError extends Error {
  constructor(ms: number) {
    super(`portcullis.redisStore: Redis did not answer within ${ms} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/**
 * Raised at once, without sending anything, while the client is not ready or the circuit is open:
 * the only failure after which a fallback (insurance, 503) may decide instead of Redis.
 */
export class StoreUnavailableError extends Error {
  constructor(status: string) {
    super(`portcullis.redisStore: Redis client is ${status}`);
    this.name = 'StoreUnavailableError';
  }
}

/** Health of the connection as the store last saw it; `onStateChange` hears each change once. */
export type StoreState = 'up' | 'down';

export interface GuardOptions {
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  readonly retryMs: number;
  readonly onStateChange: (state: StoreState, error?: unknown) => void;
}

export interface Guard {
  readonly call: RedisCall;
  readonly charge: ChargeCall;
  /** Whether calls may be sent now: the client is ready and the store last saw Redis up. No I/O. */
  readonly available: () => boolean;
}

/** How often the offset to Redis's clock is measured again (clocks drift; a failover moves it). */
const REMEASURE_MS = 60_000;

/**
 * The offset from this process's clock to Redis's (`TIME`), as its lower bound: the estimate minus
 * half the measuring round trip, so that a deadline built from it is never later in Redis than
 * the same moment here. Measured on first use, then again in the background every minute (no
 * listener on the app's client: several stores may share one).
 */
function redisClock(client: RedisClient) {
  let offset: number | undefined;
  let measuring: Promise<void> | undefined;
  let nextMeasure = 0;
  const measure = (): Promise<void> => {
    measuring ??= (async () => {
      try {
        const [seconds, micros] = await client.time();
        const received = Date.now();
        const redisNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
        // TIME was read at or before `received`: the offset is at least this (less 1 ms of rounding).
        offset = redisNow - received - 1;
        nextMeasure = performance.now() + REMEASURE_MS;
      } catch {
        // Measured again on the next call; until then the previous offset (if any) stands.
      } finally {
        measuring = undefined;
      }
    })();
    return measuring;
  };
  return {
    /** The offset, measuring it first if it never was; undefined when Redis did not answer. */
    async offset(): Promise<number | undefined> {
      if (offset === undefined) await measure();
      else if (performance.now() > nextMeasure) void measure();
      return offset;
    },
  };
}

/** Resolves once the client is ready (true) or after `ms` (false), whichever comes first. */
function readyWithin(client: RedisClient, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    client.once('ready', onReady);
  });
}

/**
 * Wraps calls with the availability rule above and reports the up/down transitions once each
 * (not per request), so an outage logs two lines however many requests it spans.
 */
export function guardedCalls(client: RedisClient, options: GuardOptions): Guard {
  const { timeoutMs, failureThreshold, retryMs, onStateChange } = options;
  // Redis refuses a charge this long before the gateway gives up on it: room for the reply to
  // travel back and be read before the give-up.
  const deadlineMs = Math.max(1, timeoutMs - Math.ceil(timeoutMs / 4));
  const clock = redisClock(client);
  let state: StoreState = 'up';
  let everReady = false;
  /** The wait for the first connection, shared by the calls that arrive meanwhile. */
  let firstReady: Promise<boolean> | undefined;
  let failures = 0;
  /** While the circuit is open: the `performance.now()` after which one probe may go. */
  let openUntil = 0;
  let probing = false;

  const mark = (next: StoreState, error?: unknown) => {
    if (next === state) return;
    state = next;
    onStateChange(next, error);
  };
  const succeeded = () => {
    failures = 0;
    openUntil = 0;
    probing = false;
    mark('up');
  };
  const failed = (error: unknown) => {
    failures++;
    if (probing || failures >= failureThreshold) {
      openUntil = performance.now() + retryMs;
      probing = false;
      mark('down', error);
    }
  };

  /** Throws StoreUnavailableError unless a call may be sent now; resolves the clock offset. */
  const admit = async (): Promise<number> => {
    if (client.status === 'ready') everReady = true;
    else if (everReady || !(await untilFirstReady())) {
      // After the first connection, a client that is not ready is an outage: refuse at once.
      const error = new StoreUnavailableError(client.status);
      mark('down', error);
      throw error;
    }
    if (openUntil !== 0) {
      if (probing || performance.now() < openUntil) throw new StoreUnavailableError('unhealthy');
      probing = true;
    }
    const measured = await clock.offset();
    if (measured === undefined) {
      probing = false;
      throw new StoreUnavailableError('not answering TIME');
    }
    return measured;
  };

  /** Before the first connection, waits for it (bounded) rather than fail the app's first requests. */
  const untilFirstReady = (): Promise<boolean> => {
    firstReady ??= readyWithin(client, timeoutMs).finally(() => {
      firstReady = undefined;
    });
    return firstReady;
  };

  const settle = async <T>(sent: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // When the timer fires, replies that already arrived may still wait in the poll phase
      // (a busy event loop runs timers first): read them before giving up.
      timer = setTimeout(
        () => setImmediate(() => reject(new StoreTimeoutError(timeoutMs))),
        timeoutMs,
      );
    });
    try {
      const result = await Promise.race([sent, timeout]);
      succeeded();
      return result;
    } catch (error) {
      failed(error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  const call: RedisCall = async (run) => {
    await admit();
    return settle(run());
  };

  const charge: ChargeCall = async <T>(run: (deadline: string) => Promise<T | typeof EXPIRED>) => {
    const offset = await admit();
    const deadline = String(Math.floor(Date.now() + offset + deadlineMs));
    const result = await settle(run(deadline));
    // Only reachable when the clocks moved under the measure: the script changed nothing.
    if (result === EXPIRED) throw new StoreTimeoutError(timeoutMs);
    return result as T;
  };

  // A read of what the guard already knows (for a metrics gauge): the state changes on calls and
  // transitions, the client's status on its connection events.
  const available = (): boolean => state === 'up' && client.status === 'ready';

  return { call, charge, available };
}
