/**
 * `redisStore()` on Valkey (the Redis fork that cloud providers now offer as "Redis"): a
 * valkey-server of the test's own, with the store contracts and the multi-process exactness specs
 * that the Redis store passes on Redis. Skipped when no Valkey server is installed (`VALKEY_SERVER`
 * or `valkey-server` on the PATH); required when REQUIRE_VALKEY=1.
 */

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../../src/redis.js';
import { runCacheStoreContract } from '../contracts/cache-store.contract.js';
import { runKeyStoreContract } from '../contracts/key-store.contract.js';
import { runPlanStoreContract } from '../contracts/plan-store.contract.js';
import { runQuotaStoreContract } from '../contracts/quota-store.contract.js';
import { runRateStoreContract } from '../contracts/rate-store.contract.js';
import { type OwnRedis, startOwnRedis, valkeyServer } from '../support/redis-server.js';
import { exactAcrossInstances } from './exact-across-instances.js';

const binary = valkeyServer();

describe.skipIf(binary === undefined)('redisStore() on Valkey', () => {
  let valkey: OwnRedis;
  let client: Redis;
  let prefixes = 0;

  beforeAll(async () => {
    valkey = await startOwnRedis(binary);
    client = new Redis(valkey.url);
    client.on('error', () => undefined);
    await client.ping();
  }, 30_000);

  afterAll(async () => {
    client?.disconnect();
    await valkey?.stop();
  });

  it('is a Valkey server', async () => {
    expect(await client.info('server')).toMatch(/^valkey_version:\d/m);
  });

  /** A store with a key prefix of its own: a fresh, empty store for each test. */
  const freshStore = (options: Partial<Parameters<typeof redisStore>[0]> = {}) =>
    redisStore({
      client,
      prefix: `contract${prefixes++}:`,
      onStateChange: () => undefined,
      ...options,
    });

  runRateStoreContract('valkey', () => freshStore({ insurance: false }));
  runQuotaStoreContract('valkey', () => freshStore());
  runKeyStoreContract('valkey', () => freshStore());
  runPlanStoreContract('valkey', () => freshStore({ insurance: false }));
  runCacheStoreContract('valkey', (clock) => freshStore({ clock }).cache);

  describe('across busy app processes', () => {
    // One round: the five in a row run on Redis and on the Cluster, with the same scripts.
    exactAcrossInstances(() => ({ REDIS_URL: valkey.url, PREFIX: 'multi:' }), { repeated: false });
  });
});
