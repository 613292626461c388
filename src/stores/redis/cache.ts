/** The cache part of `redisStore()`: entries as one binary value each, expiring with Redis TTLs. */

import type { Clock } from '../../core/clock.js';
import {
  type CacheEntry,
  type CacheGenerations,
  type CacheStore,
  type CacheUsage,
  cacheEntrySize,
} from '../cache.js';
import type { RedisCall, RedisClient } from './client.js';

/**
 * One entry is one Redis string: a 4-byte big-endian length, the metadata as JSON, then the body
 * bytes as they are (no base64), so a hit is one GET of one value.
 */
function encode(entry: CacheEntry): Buffer {
  const meta = Buffer.from(
    JSON.stringify({
      s: entry.status,
      h: entry.headers,
      t: entry.storedAt,
      e: entry.expiresAt,
      u: entry.staleUntil,
      v: entry.vary,
    }),
  );
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(meta.length, 0);
  return Buffer.concat([head, meta, entry.body]);
}

function decode(value: Buffer): CacheEntry | undefined {
  if (value.length < 4) return undefined;
  const metaLength = value.readUInt32BE(0);
  if (value.length < 4 + metaLength) return undefined;
  const meta = JSON.parse(value.subarray(4, 4 + metaLength).toString('utf8')) as {
    s: number;
    h: CacheEntry['headers'];
    t: number;
    e: number;
    u: number;
    v?: string[];
  };
  return {
    status: meta.s,
    headers: meta.h,
    body: value.subarray(4 + metaLength),
    storedAt: meta.t,
    expiresAt: meta.e,
    staleUntil: meta.u,
    ...(meta.v === undefined ? {} : { vary: meta.v }),
  };
}

/** SCAN MATCH treats `* ? [ ] \` as glob syntax; cache keys are paths and may contain them. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Stores an entry only if its namespace's invalidation generation is unchanged (compare-and-set).
 * KEYS[1] generation key, KEYS[2] entry key; ARGV: generation read by the miss, entry, TTL ms.
 * Reply: 1 when stored, 0 when an invalidation bumped the generation meanwhile (nothing written).
 */
export const SET_IF_GENERATION_SCRIPT = `
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
`;

interface SetIfGenerationCommand {
  portcullisCacheSetIf(
    generationKey: string,
    key: string,
    generation: string,
    value: Buffer,
    ttl: number,
  ): Promise<number>;
}

/**
 * `CacheGenerations` in Redis: one counter per namespace (`INCR`, never expiring, outside the
 * entries' `c:` keys so that `clear()` never resets it). Not offered on a Cluster client: a
 * namespace's entries spread over every slot, and its counter cannot share a slot with each.
 */
function redisGenerations(
  client: RedisClient,
  prefix: string,
  clock: Clock,
  call: RedisCall,
  full: (key: string) => string,
): CacheGenerations {
  client.defineCommand('portcullisCacheSetIf', { numberOfKeys: 2, lua: SET_IF_GENERATION_SCRIPT });
  const commands = client as unknown as SetIfGenerationCommand;
  const generationKey = (namespace: string) => `${prefix}cg:${namespace}`;
  return {
    async read(namespace) {
      return (await call(() => client.get(generationKey(namespace)))) ?? '0';
    },
    async bump(namespace) {
      await call(() => client.incr(generationKey(namespace)));
    },
    async setIf(namespace, generation, key, entry) {
      const ttl = Math.ceil(entry.staleUntil - clock.now());
      if (ttl <= 0) return false;
      const stored = await call(() =>
        commands.portcullisCacheSetIf(
          generationKey(namespace),
          full(key),
          generation,
          encode(entry),
          ttl,
        ),
      );
      return stored === 1;
    },
  };
}

export function redisCacheStore(
  client: RedisClient,
  prefix: string,
  clock: Clock,
  call: RedisCall,
): CacheStore {
  const full = (key: string) => `${prefix}c:${key}`;
  const strip = (key: string) => key.slice(prefix.length + 2);

  /** Every Redis key under a cache key prefix (SCAN, never KEYS, so a shared Redis is not blocked). */
  const scan = async (keyPrefix: string): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await call(() =>
        client.scan(cursor, 'MATCH', `${globEscape(full(keyPrefix))}*`, 'COUNT', 500),
      );
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found;
  };

  const generations = isCluster(client)
    ? undefined
    : redisGenerations(client, prefix, clock, call, full);

  return {
    ...(generations === undefined ? {} : { generations }),
    async get(key) {
      const value = await call(() => client.getBuffer(full(key)));
      if (value === null) return undefined;
      const entry = decode(value);
      // Redis expires with its own clock; the middleware's clock has the last word.
      if (entry === undefined || entry.staleUntil <= clock.now()) return undefined;
      return entry;
    },
    async set(key, entry) {
      const ttl = Math.ceil(entry.staleUntil - clock.now());
      if (ttl <= 0) return;
      await call(() => client.set(full(key), encode(entry), 'PX', ttl));
    },
    async delete(key) {
      return (await call(() => client.del(full(key)))) > 0;
    },
    async keys(keyPrefix) {
      return (await scan(keyPrefix)).map(strip);
    },
    async clear(keyPrefix) {
      const keys = await scan(keyPrefix);
      for (let i = 0; i < keys.length; i += 500)
        await call(() => client.del(...keys.slice(i, i + 500)));
    },
    async usage(keyPrefix): Promise<CacheUsage> {
      let entries = 0;
      let bytes = 0;
      for (const key of await scan(keyPrefix)) {
        const value = await call(() => client.getBuffer(key));
        const entry = value === null ? undefined : decode(value);
        if (entry === undefined) continue;
        bytes += cacheEntrySize(strip(key), entry);
        if (entry.vary === undefined) entries++;
      }
      return { entries, bytes };
    },
  };
}

function isCluster(client: RedisClient): boolean {
  return (client as { isCluster?: boolean }).isCluster === true;
}
