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
import { redisCacheStore } from './cache.js';
import { guardedCalls, type RedisClient, type StoreState } from './client.js';
import { redisKeyAdditions } from './keys.js';
import {
  DELETE_KEY_SCRIPT,
  GCRA_SCRIPT,
  KEY_BY_HASH_SCRIPT,
  PUT_KEY_SCRIPT,
  QUOTA_SCRIPT,
  USAGE_PLAN_SCRIPT,
} from './scripts.js';

export interface RedisStoreOptions {
  /** An ioredis `Redis` or `Cluster` client that the app creates, connects and closes. Required. */
  client: RedisClient;
  /** Prefix of every key the store writes. @default 'portcullis:' */
  prefix?: string;
  /** Longest wait for one Redis call before it counts as failed, in ms. @default 50 */
  timeoutMs?: number;
  /**
   * When Redis fails or is slow, decide token buckets in this process instead (per-instance
   * limits, rate-limiter-flexible's "insurance" idea) rather than failing the call. @default true
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
  timeoutMs: 50,
  insurance: true,
  usageRetentionDays: 90,
} as const satisfies Omit<RedisStoreOptions, 'client'>;

/** A Redis-backed gateway store; also carries a `cache` store for `gateway.cache({ store })`. */
export interface RedisStore extends GatewayStore {
  readonly cache: CacheStore;
}

const SCOPE = 'redisStore';
const DAY_MS = 86_400_000;
const KNOWN = [
  'client',
  'prefix',
  'timeoutMs',
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
  ): Promise<string[]>;
  portcullisQuota(
    counterKey: string,
    dayKey: string,
    limit: string,
    start: string,
    ttl: string,
    dayTtl: string,
  ): Promise<[number, number]>;
  portcullisPutKey(
    recordKey: string,
    hashKey: string,
    idsKey: string,
    json: string,
    id: string,
    hashPrefix: string,
  ): Promise<number>;
  portcullisDeleteKey(
    recordKey: string,
    idsKey: string,
    id: string,
    hashPrefix: string,
  ): Promise<number>;
  portcullisKeyByHash(hashKey: string, recordPrefix: string): Promise<string | null>;
  portcullisUsagePlan(...keysThenArgs: string[]): Promise<Array<number | string | null>>;
}

function defineScripts(client: RedisClient): ScriptCommands {
  client.defineCommand('portcullisGcra', { numberOfKeys: 1, lua: GCRA_SCRIPT });
  client.defineCommand('portcullisQuota', { numberOfKeys: 2, lua: QUOTA_SCRIPT });
  client.defineCommand('portcullisPutKey', { numberOfKeys: 3, lua: PUT_KEY_SCRIPT });
  client.defineCommand('portcullisDeleteKey', { numberOfKeys: 2, lua: DELETE_KEY_SCRIPT });
  client.defineCommand('portcullisKeyByHash', { numberOfKeys: 1, lua: KEY_BY_HASH_SCRIPT });
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
 * (hashed) and cached responses. Decisions use the app's clock, passed into each script: keep instances NTP-synced
 * (a skew of d ms between instances moves a bucket by d × rate / 1000 tokens).
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
  if (typeof o.prefix !== 'string') throw optionTypeError(SCOPE, 'prefix', 'a string', o.prefix);
  assertNumber(SCOPE, 'timeoutMs', o.timeoutMs, {
    min: 1,
    max: 60_000,
    integer: true,
    expected: 'a whole number of ms from 1 to 60000',
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
  const call = guardedCalls(client, o.timeoutMs, o.onStateChange ?? logStateChange);
  const insurance = o.insurance ? memoryStore() : undefined;

  const bucketKey = (key: string) => `${prefix}b:{${key}}`;
  const quotaKey = (key: string) => `${prefix}q:{${key}}`;
  const usageKey = (key: string, day: number) => `${prefix}u:{${key}}:${day}`;
  const keyPrefix = (namespace: string) => `${prefix}k:{${namespace}}:`;

  const consumeInRedis = async (key: string, params: BucketParams): Promise<BucketResult> =>
    bucketResult(
      await call(() => scripts.portcullisGcra(bucketKey(key), ...bucketArgs(params))),
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
    const reply = await call(() =>
      scripts.portcullisUsagePlan(
        `${base}h:${hash}`,
        bucket === undefined ? counted.keys[0] : bucketKey(bucket.key),
        ...counted.keys,
        `${base}id:`,
        expected.id,
        expected.plan,
        ...(bucket === undefined ? NO_BUCKET_ARGS : ['1', ...bucketArgs(bucket)]),
        ...counted.args,
      ),
    );
    return planOutcome(reply, bucket, quota);
  };

  const store: RedisStore = {
    async consumeBucket(key, params) {
      if (insurance === undefined) return consumeInRedis(key, params);
      try {
        return await consumeInRedis(key, params);
      } catch {
        return insurance.consumeBucket(key, params);
      }
    },

    async consumeQuota(key, params: QuotaParams): Promise<QuotaResult> {
      const { keys, args } = quotaCall(key, params);
      const [allowed, used] = await call(() => scripts.portcullisQuota(...keys, ...args));
      return quotaResult(allowed, used, params);
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
      const base = keyPrefix(namespace);
      return parseRecord(
        await call(() => scripts.portcullisKeyByHash(`${base}h:${hash}`, `${base}id:`)),
      );
    },
    async getKey(namespace, id) {
      return parseRecord(await call(() => client.get(`${keyPrefix(namespace)}id:${id}`)));
    },
    async putKey(namespace, record) {
      const base = keyPrefix(namespace);
      await call(() =>
        scripts.portcullisPutKey(
          `${base}id:${record.id}`,
          `${base}h:${record.hash}`,
          `${base}ids`,
          JSON.stringify(record),
          record.id,
          `${base}h:`,
        ),
      );
    },
    async deleteKey(namespace, id) {
      const base = keyPrefix(namespace);
      return (
        (await call(() =>
          scripts.portcullisDeleteKey(`${base}id:${id}`, `${base}ids`, id, `${base}h:`),
        )) === 1
      );
    },
    async listKeys(namespace) {
      const base = keyPrefix(namespace);
      const ids = await call(() => client.smembers(`${base}ids`));
      if (ids.length === 0) return [];
      const records = await call(() => client.mget(...ids.map((id) => `${base}id:${id}`)));
      return records.flatMap((json) => parseRecord(json) ?? []);
    },

    cache: redisCacheStore(client, prefix, o.clock ?? systemClock, call),
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

function quotaResult(allowed: number, used: number, params: QuotaParams): QuotaResult {
  return {
    allowed: allowed === 1,
    used,
    remaining: Math.max(0, params.limit - used),
    resetMs: params.periodEnd - params.now,
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
    quota: reply.length > 5 ? quotaResult(Number(reply[5]), Number(reply[6]), quota) : undefined,
  };
}

function parseRecord(json: string | null): KeyRecord | undefined {
  return json === null ? undefined : (JSON.parse(json) as KeyRecord);
}

function isCluster(client: RedisClient): boolean {
  return (client as { isCluster?: boolean }).isCluster === true;
}
