/**
 * Every key a script reads or writes is one it declares in KEYS, as Redis Cluster requires (a
 * script may otherwise work on one node and fail, or touch another slot, on a cluster): each store
 * operation runs alone on a redis-server of the test's own while MONITOR records what the script
 * ran.
 */

import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisStore, redisStore } from '../../src/redis.js';
import type { KeyRecord } from '../../src/stores/types.js';
import { hasRedisServer, type OwnRedis, startOwnRedis } from '../support/redis-server.js';

const available = hasRedisServer();
if (!available && process.env.REQUIRE_REDIS === '1')
  throw new Error('REQUIRE_REDIS=1 but redis-server is not installed');

const NOW = Date.UTC(2026, 0, 5, 12);
const DAY = 86_400_000;
/** Commands scripts run whose first argument is their only key; TIME has none. */
const ONE_KEY = new Set([
  'get',
  'set',
  'del',
  'hmget',
  'hset',
  'pexpire',
  'pttl',
  'incr',
  'sadd',
  'srem',
]);

const record = (id: string, secret: string, plan = 'free'): KeyRecord => ({
  id,
  hash: createHash('sha256').update(secret).digest('hex'),
  plan,
  enabled: true,
  createdAt: 1,
});

describe.skipIf(!available)('redisStore() scripts declare every key they touch', () => {
  let redis: OwnRedis;
  let client: Redis;
  let monitor: Redis;
  let store: RedisStore;
  const lines: Array<{ args: string[]; source: string }> = [];

  beforeAll(async () => {
    redis = await startOwnRedis();
    client = new Redis(redis.url);
    store = redisStore({ client, prefix: 'keys:' });
    monitor = await client.monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      lines.push({ args, source });
    });
  }, 30_000);

  afterAll(async () => {
    monitor?.disconnect();
    client?.disconnect();
    await redis?.stop();
  });

  /**
   * Runs `operation` alone and returns the keys its scripts touched but did not declare (and how
   * many script calls it made, so that a test cannot pass by running none).
   */
  async function undeclaredKeys(operation: () => Promise<unknown>) {
    await waitForMonitor();
    lines.length = 0;
    await operation();
    await waitForMonitor();
    const declared = new Set<string>();
    let scripts = 0;
    for (const { args, source } of lines) {
      const name = args[0]!.toLowerCase();
      if (source !== 'lua' && (name === 'evalsha' || name === 'eval')) {
        scripts++;
        for (const key of args.slice(3, 3 + Number(args[2]))) declared.add(key);
      }
    }
    const touched = lines
      .filter(({ args, source }) => source === 'lua' && ONE_KEY.has(args[0]!.toLowerCase()))
      .map(({ args }) => args[1]!);
    return { scripts, undeclared: touched.filter((key) => !declared.has(key)) };
  }

  async function waitForMonitor() {
    const marker = `marker-${Math.random()}`;
    await client.echo(marker);
    await expect
      .poll(() => lines.some(({ args }) => args[1] === marker), { timeout: 5000, interval: 5 })
      .toBe(true);
  }

  const bucket = { emissionIntervalMs: 100, burst: 10, cost: 1, now: NOW };
  const quota = {
    limit: 5,
    periodStart: NOW - (NOW % DAY),
    periodEnd: NOW - (NOW % DAY) + DAY,
    now: NOW,
  };
  const alice = record('alice', 'alice-secret');

  it.each([
    ['consumeBucket', () => store.consumeBucket('b', bucket)],
    ['consumeQuota', () => store.consumeQuota('q', quota)],
    ['putKey (new)', () => store.putKey('ns', alice)],
    ['putKey (replacing, new hash)', () => store.putKey('ns', record('alice', 'rotated'))],
    ['putKey (replacing, same hash)', () => store.putKey('ns', record('alice', 'rotated', 'pro'))],
    [
      'consumePlan',
      () =>
        store.consumePlan!(
          'ns',
          record('alice', 'rotated').hash,
          { id: 'alice', plan: 'pro' },
          { key: 'b2', ...bucket },
          { key: 'q2', ...quota },
        ),
    ],
    ['deleteKey', () => store.deleteKey('ns', 'alice')],
    [
      'cache generations.setIf',
      () => {
        const now = Date.now();
        const entry = { status: 200, headers: [], body: Buffer.from('x'), storedAt: now };
        const fresh = { ...entry, expiresAt: now + 60_000, staleUntil: now + 60_000 };
        return store.cache.generations!.setIf('ns:', '0', 'ns:/a?', fresh);
      },
    ],
  ])('%s', async (_name, operation) => {
    const { scripts, undeclared } = await undeclaredKeys(operation);
    expect(scripts).toBeGreaterThan(0);
    expect(undeclared).toEqual([]);
  });
});
