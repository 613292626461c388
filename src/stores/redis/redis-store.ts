/** `redisStore()`: the gateway's state in Redis, so that many app instances share limits, keys and cache. */

import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import {
  assertBoolean,
  assertKnownOptions,
  assertNumber,
  assertOptionsObject,
  optionTypeError,
} from '../../core/validate.js';
import type { AuthorizerResultStore } from '../authorizer.js';
import type { CacheStore } from '../cache.js';
import { memoryStore } from '../memory/index.js';
import type {
  BucketParams,
  BucketResult,
  GatewayStore,
  KeyRecord,
  PlanOutcome,
  PlanStore,
  QuotaParams,
  QuotaResult,
} from '../types.js';
import { redisAuthorizerResults } from './authorizer.js';
import { redisCacheStore } from './cache.js';
import {
  type EXPIRED,
  guardedCalls,
  type RedisClient,
  type StoreState,
  StoreUnavailableError,
} from './client.js';
import { redisKeyAdditions } from './keys.js';
import {
  DELETE_KEY_SCRIPT,
  GCRA_SCRIPT,
  PUT_KEY_SCRIPT,
  QUOTA_SCRIPT,
  USAGE_PLAN_SCRIPT,
} from './scripts.js';

export interface RedisStoreOptions {
  /** An ioredis `Redis` or `Cluster` client that the app creates, connects and closes. Required. */
  client: RedisClient;
  /** Prefix of every key the store writes. @default 'portcullis:' */
  prefix?: string;
  /**
   * Longest wait for one Redis call once sent, in ms of real time; past it the call fails (and
   * Redis, which gets a deadline with every charge, will not count it afterwards). Replies that
   * arrived are always read before giving up, so a busy event loop is not a slow Redis.
   * @default 5000
   */
  timeoutMs?: number;
  /** Consecutive failed calls after which Redis is deemed down (calls refused at once). @default 3 */
  failureThreshold?: number;
  /** How long calls are refused once Redis is deemed down, before one probe call, in ms. @default 1000 */
  retryMs?: number;
  /**
   * While Redis is deemed down (the client is not ready, or the circuit is open), decide token
   * buckets in this process instead (per-instance limits, rate-limiter-flexible's "insurance"
   * idea) rather than failing the call. A call that was sent is only ever decided by Redis.
   * @default true
   */
  insurance?: boolean;
  /** Days of per-day usage kept for `usage()` reports. @default 90 */
  usageRetentionDays?: number;
  /**
   * Hears each change of Redis health once (`'down'` with the error, then `'up'`).
   * @default logs one line per change with console.warn
   */
  onStateChange?: (state: StoreState, error?: unknown) => void;
  /** Clock for cache-entry TTLs (bucket and quota decisions use the middleware's clock). @default the system clock */
  clock?: Clock;
}

export const REDIS_STORE_DEFAULTS = {
  prefix: 'portcullis:',
  timeoutMs: 5000,
  failureThreshold: 3,
  retryMs: 1000,
  insurance: true,
  usageRetentionDays: 90,
} as const satisfies Omit<RedisStoreOptions, 'client'>;

/**
 * A Redis-backed gateway store; also carries a `cache` store for `gateway.cache({ store })` and
 * an `authorizerResults` store for `gateway.authorizer(fn, { store })`.
 */
export interface RedisStore extends GatewayStore {
  readonly cache: CacheStore;
  readonly authorizerResults: AuthorizerResultStore;
  /**
   * Whether Redis is usable now: the client is ready and the circuit is closed (no I/O; for
   * `gateway.metrics({ stores })` and health checks).
   */
  readonly available: boolean;
}

const SCOPE = 'redisStore';
const DAY_MS = 86_400_000;
const KNOWN = [
  'client',
  'prefix',
  'timeoutMs',
  'failureThreshold',
  'retryMs',
  'insurance',
  'usageRetentionDays',
  'onStateChange',
  'clock',
];

/** The scripts as ioredis custom commands (EVALSHA with an automatic EVAL fallback). */
interface ScriptCommands {
  portcullisGcra(
    key: string,
    interval: string,
    burst: string,
    cost: string,
    now: string,
    deadline: string,
  ): Promise<string[] | typeof EXPIRED>;
  portcullisQuota(
    counterKey: string,
    dayKey: string,
    limit: string,
    start: string,
    ttl: string,
    dayTtl: string,
    deadline: string,
  ): Promise<number[] | typeof EXPIRED>;
  portcullisPutKey(
    recordKey: string,
    hashKey: string,
    idsKey: string,
    oldHashKey: string,
    json: string,
    id: string,
    oldHash: string,
  ): Promise<number>;
  portcullisDeleteKey(
    recordKey: string,
    idsKey: string,
    hashKey: string,
    id: string,
    hash: string,
  ): Promise<number>;
  portcullisUsagePlan(
    ...keysThenArgs: string[]
  ): Promise<Array<number | string | null> | typeof EXPIRED>;
}

function defineScripts(client: RedisClient): ScriptCommands {
  client.defineCommand('portcullisGcra', { numberOfKeys: 1, lua: GCRA_SCRIPT });
  client.defineCommand('portcullisQuota', { numberOfKeys: 2, lua: QUOTA_SCRIPT });
  client.defineCommand('portcullisPutKey', { numberOfKeys: 4, lua: PUT_KEY_SCRIPT });
  client.defineCommand('portcullisDeleteKey', { numberOfKeys: 3, lua: DELETE_KEY_SCRIPT });
  client.defineCommand('portcullisUsagePlan', { numberOfKeys: 4, lua: USAGE_PLAN_SCRIPT });
  return client as unknown as ScriptCommands;
}

function logStateChange(state: StoreState, error?: unknown): void {
  if (state === 'down')
    console.warn(`portcullis.redisStore: Redis unavailable, degrading (${String(error)})`);
  else console.warn('portcullis.redisStore: Redis available again');
}

function isRedisClient(value: unknown): value is RedisClient {
  const candidate = value as { defineCommand?: unknown; status?: unknown } | null;
  return typeof candidate?.defineCommand === 'function' && typeof candidate.status === 'string';
}

/**
 * The gateway's state in Redis: token buckets and quota decisions are one Lua script each (one
 * round trip, atomic across every instance), and so is a whole usage-plan admission (key check,
 * bucket, quota; not on a Cluster client, see `USAGE_PLAN_SCRIPT`); usage per UTC day, API keys
 * (hashed) and cached responses. A decision is either never sent or decided by Redis, never both
 * (see `client.ts`), so shared counts stay exact under load and through outages. Decisions use the
 * app's clock, passed into each script: keep instances NTP-synced (a skew of d ms between
 * instances moves a bucket by d × rate / 1000 tokens; quota periods only move forward).
 *
 * @example
 * import { Redis } from 'ioredis';
 * import { redisStore } from 'portcullis/redis';
 * const store = redisStore({ client: new Redis(process.env.REDIS_URL) });
 * app.use(gateway.throttle({ rate: 100, store }));
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN);
  if (!isRedisClient(options.client))
    throw optionTypeError(SCOPE, 'client', 'an ioredis Redis or Cluster client', options.client);
  const o = { ...REDIS_STORE_DEFAULTS, ...options };
  // A brace in the prefix would become the keys' hash tag (one cluster slot for everything) or
  // split the keys of one decision over several slots.
  if (typeof o.prefix !== 'string' || /[{}]/.test(o.prefix))
    throw optionTypeError(SCOPE, 'prefix', 'a string without { or }', o.prefix);
  assertNumber(SCOPE, 'timeoutMs', o.timeoutMs, {
    min: 4,
    max: 60_000,
    integer: true,
    expected: 'a whole number of ms from 4 to 60000',
  });
  assertNumber(SCOPE, 'failureThreshold', o.failureThreshold, {
    min: 1,
    max: 1000,
    integer: true,
    expected: 'a whole number from 1 to 1000',
  });
  assertNumber(SCOPE, 'retryMs', o.retryMs, {
    min: 1,
    max: 600_000,
    integer: true,
    expected: 'a whole number of ms from 1 to 600000',
  });
  assertBoolean(SCOPE, 'insurance', o.insurance);
  assertNumber(SCOPE, 'usageRetentionDays', o.usageRetentionDays, {
    min: 1,
    integer: true,
    expected: 'a whole number of days (1 or more)',
  });
  if (o.onStateChange !== undefined && typeof o.onStateChange !== 'function') {
    throw optionTypeError(SCOPE, 'onStateChange', 'a function', o.onStateChange);
  }

  const { client, prefix, usageRetentionDays } = o;
  const scripts = defineScripts(client);
  const { call, charge, available } = guardedCalls(client, {
    timeoutMs: o.timeoutMs,
    failureThreshold: o.failureThreshold,
    retryMs: o.retryMs,
    onStateChange: o.onStateChange ?? logStateChange,
  });
  const insurance = o.insurance ? memoryStore() : undefined;

  const bucketKey = (key: string) => `${prefix}b:{${key}}`;
  const quotaKey = (key: string) => `${prefix}q:{${key}}`;
  const usageKey = (key: string, day: number) => `${prefix}u:{${key}}:${day}`;
  const keyPrefix = (namespace: string) => `${prefix}k:{${namespace}}:`;

  const consumeInRedis = async (key: string, params: BucketParams): Promise<BucketResult> =>
    bucketResult(
      await charge((deadline) =>
        scripts.portcullisGcra(bucketKey(key), ...bucketArgs(params), deadline),
      ),
      0,
    );

  /** The keys and arguments of the quota function, shared by the quota and usage-plan scripts. */
  const quotaCall = (key: string, params: QuotaParams) => {
    const day = Math.floor(params.now / DAY_MS);
    // The day's counter lives until `usageRetentionDays` days after that day began.
    const dayTtl = (day + usageRetentionDays) * DAY_MS - params.now;
    return {
      keys: [quotaKey(key), usageKey(key, day)] as const,
      args: [
        String(params.limit),
        String(params.periodStart),
        String(Math.ceil(params.periodEnd - params.now)),
        String(Math.ceil(dayTtl)),
      ] as const,
    };
  };

  const consumePlan: PlanStore['consumePlan'] = async (
    namespace,
    hash,
    expected,
    bucket,
    quota,
  ) => {
    const base = keyPrefix(namespace);
    const counted = quotaCall(quota.key, quota);
    const reply = await charge((deadline) =>
      scripts.portcullisUsagePlan(
        `${base}h:${hash}`,
        bucket === undefined ? counted.keys[0] : bucketKey(bucket.key),
        ...counted.keys,
        deadline,
        expected.id,
        expected.plan,
        ...(bucket === undefined ? NO_BUCKET_ARGS : ['1', ...bucketArgs(bucket)]),
        ...counted.args,
      ),
    );
    return planOutcome(reply, bucket, quota);
  };

  /**
   * Key management: reads the record, then runs `write` with it, whose script declares the old
   * record's hash index among its keys; `undefined` from `write` means the record changed in
   * between, so read again (bounded: management calls are rare and short).
   */
  const readThenWrite = async <T>(
    recordKey: string,
    write: (old: KeyRecord | undefined) => Promise<T | undefined>,
  ): Promise<T> => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const old = parseRecord(await call(() => client.get(recordKey)));
      const result = await write(old);
      if (result !== undefined) return result;
    }
    throw new Error(`portcullis.redisStore: ${recordKey} kept changing while being written`);
  };

  const store: RedisStore = {
    async consumeBucket(key, params) {
      if (insurance === undefined) return consumeInRedis(key, params);
      try {
        return await consumeInRedis(key, params);
      } catch (error) {
        // Only a call that was never sent: one sent is decided by Redis or fails, never both.
        if (!(error instanceof StoreUnavailableError)) throw error;
        return insurance.consumeBucket(key, params);
      }
    },

    async consumeQuota(key, params: QuotaParams): Promise<QuotaResult> {
      const { keys, args } = quotaCall(key, params);
      const reply = await charge((deadline) => scripts.portcullisQuota(...keys, ...args, deadline));
      return quotaResult(reply, 0, params);
    },

    async getUsage(key, fromDay, toDay) {
      const first = Math.floor(fromDay / DAY_MS);
      const last = Math.floor(toDay / DAY_MS);
      if (last < first) return [];
      const keys: string[] = [];
      for (let day = first; day <= last; day++) keys.push(usageKey(key, day));
      const values = await call(() => client.mget(...keys));
      return values.map((value) => (value === null ? 0 : Number(value)));
    },

    async getKeyByHash(namespace, hash) {
      return parseRecord(await call(() => client.get(`${keyPrefix(namespace)}h:${hash}`)));
    },
    async getKey(namespace, id) {
      return parseRecord(await call(() => client.get(`${keyPrefix(namespace)}id:${id}`)));
    },
    async putKey(namespace, record) {
      const base = keyPrefix(namespace);
      const recordKey = `${base}id:${record.id}`;
      const hashKey = `${base}h:${record.hash}`;
      const json = JSON.stringify(record);
      await readThenWrite(recordKey, async (old) => {
        const oldHashKey = old === undefined ? hashKey : `${base}h:${old.hash}`;
        const oldHash = old?.hash ?? '';
        const done = await call(() =>
          scripts.portcullisPutKey(
            recordKey,
            hashKey,
            `${base}ids`,
            oldHashKey,
            json,
            record.id,
            oldHash,
          ),
        );
        return done === 1 ? true : undefined;
      });
    },
    async deleteKey(namespace, id) {
      const base = keyPrefix(namespace);
      const recordKey = `${base}id:${id}`;
      return readThenWrite(recordKey, async (old) => {
        if (old === undefined) return false;
        const done = await call(() =>
          scripts.portcullisDeleteKey(
            recordKey,
            `${base}ids`,
            `${base}h:${old.hash}`,
            id,
            old.hash,
          ),
        );
        return done === -1 ? undefined : done === 1;
      });
    },
    async listKeys(namespace) {
      const base = keyPrefix(namespace);
      const ids = await call(() => client.smembers(`${base}ids`));
      if (ids.length === 0) return [];
      const records = await call(() => client.mget(...ids.map((id) => `${base}id:${id}`)));
      return records.flatMap((json) => parseRecord(json) ?? []);
    },

    get available() {
      return available();
    },
    cache: redisCacheStore(client, prefix, o.clock ?? systemClock, call),
    authorizerResults: redisAuthorizerResults(client, prefix, call),
    ...redisKeyAdditions(client, call, keyPrefix, quotaKey),
  };
  // The usage-plan script spans the key records' slot and the key's bucket and quota slots, which
  // a Cluster refuses (CROSSSLOT): there, usage plans make one call per decision instead.
  if (!isCluster(client)) store.consumePlan = consumePlan;
  return store;
}

/** The bucket function's arguments: interval, burst, cost, now. */
function bucketArgs(params: BucketParams): [string, string, string, string] {
  return [
    String(params.emissionIntervalMs),
    String(params.burst),
    String(params.cost),
    String(params.now),
  ];
}

/** Stands in for the bucket arguments of the usage-plan script when the plan has no throttle. */
const NO_BUCKET_ARGS = ['0', '0', '0', '0', '0'] as const;

/** A bucket reply (allowed, remaining, resetMs, retryAfterMs) starting at `at` in `reply`. */
function bucketResult(reply: ReadonlyArray<number | string | null>, at: number): BucketResult {
  return {
    allowed: Number(reply[at]) === 1,
    remaining: Number(reply[at + 1]),
    resetMs: Number(reply[at + 2]),
    retryAfterMs: Number(reply[at + 3]),
  };
}

/**
 * A quota reply (allowed, used, and the stored period's ms to live when it is later than the
 * caller's: see `QUOTA_FN`) starting at `at` in `reply`.
 */
function quotaResult(
  reply: ReadonlyArray<number | string | null>,
  at: number,
  params: QuotaParams,
): QuotaResult {
  const used = Number(reply[at + 1]);
  const later = reply[at + 2];
  return {
    allowed: Number(reply[at]) === 1,
    used,
    remaining: Math.max(0, params.limit - used),
    resetMs: later === undefined || later === null ? params.periodEnd - params.now : Number(later),
  };
}

/** Reads the usage-plan script's reply (see `USAGE_PLAN_SCRIPT`). */
function planOutcome(
  reply: ReadonlyArray<number | string | null>,
  bucket: BucketParams | undefined,
  quota: QuotaParams,
): PlanOutcome {
  if (reply[0] !== 1) {
    const json = reply[1];
    return { matched: false, record: parseRecord(typeof json === 'string' ? json : null) };
  }
  return {
    matched: true,
    bucket: bucket === undefined ? undefined : bucketResult(reply, 1),
    quota: reply.length > 5 ? quotaResult(reply, 5, quota) : undefined,
  };
}

function parseRecord(json: string | null): KeyRecord | undefined {
  return json === null ? undefined : (JSON.parse(json) as KeyRecord);
}

function isCluster(client: RedisClient): boolean {
  return (client as { isCluster?: boolean }).isCluster === true;
}
