/** The same contract suites as the memory store, against a real Redis (skipped locally when none answers). */

import { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisStore } from '../../src/redis.js';
import { gcra } from '../../src/stores/memory/gcra.js';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../support/redis.js';
import { runCacheStoreContract } from './cache-store.contract.js';
import { runKeyStoreContract } from './key-store.contract.js';
import { runPlanStoreContract } from './plan-store.contract.js';
import { runQuotaStoreContract } from './quota-store.contract.js';
import { runRateStoreContract } from './rate-store.contract.js';

const client = await connectRedis();
const prefixes: string[] = [];

/** A store with a key prefix of its own: a fresh, empty store for each test. */
function freshStore(options: Partial<Parameters<typeof redisStore>[0]> = {}) {
  const prefix = uniquePrefix('contract');
  prefixes.push(prefix);
  return redisStore({
    client: client!,
    prefix,
    onStateChange: () => undefined,
    ...options,
  });
}

afterAll(async () => {
  if (client === undefined) return;
  for (const prefix of prefixes) await deleteByPrefix(client, prefix);
  client.disconnect();
});

describe.skipIf(client === undefined)('redisStore()', () => {
  runRateStoreContract('redis', () => freshStore({ insurance: false }));
  runQuotaStoreContract('redis', () => freshStore());
  runKeyStoreContract('redis', () => freshStore());
  runPlanStoreContract('redis', () => freshStore({ insurance: false }));
  runCacheStoreContract('redis', (clock) => freshStore({ clock }).cache);

  it('gives the same answers as the memory reference for an irregular rate, step by step', async () => {
    const store = freshStore({ insurance: false });
    // 3 tokens per second: an interval (333.33… ms) that is not exact in binary.
    const interval = 1000 / 3;
    let tat: number | undefined;
    let now = Date.UTC(2026, 0, 5);
    for (let i = 0; i < 40; i++) {
      const params = { emissionIntervalMs: interval, burst: 7, cost: i % 3, now };
      const expected = gcra(tat, params);
      if (expected.allowed && params.cost > 0) tat = expected.tat;
      const { allowed, remaining, resetMs, retryAfterMs } = expected;
      expect(await store.consumeBucket('same', params)).toEqual({
        allowed,
        remaining,
        resetMs,
        retryAfterMs,
      });
      now += [0, 1, 17, 333, 334, 90][i % 6]!;
    }
  });

  it('expires a bucket key in Redis once the bucket is full again', async () => {
    const store = freshStore({ insurance: false });
    const prefix = prefixes.at(-1)!;
    const sent = performance.now();
    await store.consumeBucket('ttl', {
      emissionIntervalMs: 100,
      burst: 10,
      cost: 3,
      now: Date.now(),
    });
    const ttl = await client!.pttl(`${prefix}b:{ttl}`);
    const elapsed = performance.now() - sent;
    // 300 ms until full, then the second of slack: 1300 ms when the script ran, less the time
    // until PTTL read it (which a loaded machine can stretch past any fixed margin).
    expect(ttl).toBeLessThanOrEqual(1300);
    expect(ttl).toBeGreaterThanOrEqual(1300 - Math.ceil(elapsed) - 1);
  });

  it('has the one-step usage-plan decision on a plain client, not on a Cluster client', () => {
    expect(typeof freshStore().consumePlan).toBe('function');
    // The script would span the key records' slot and the key's bucket and quota slots.
    const cluster = new Cluster([{ host: '127.0.0.1', port: 6379 }], { lazyConnect: true });
    try {
      expect(redisStore({ client: cluster }).consumePlan).toBeUndefined();
    } finally {
      cluster.disconnect();
    }
  });

  it('does not take a busy event loop for a slow Redis (a reply read late is not a timeout)', async () => {
    const store = freshStore({ insurance: false, timeoutMs: 100 });
    const params = { emissionIntervalMs: 1000, burst: 5, cost: 1, now: Date.now() };
    await store.consumeBucket('warm', params);
    // The app keeps its event loop busy for ten times the timeout right after sending the last
    // call: the calls are sent by promise callbacks, after the code that makes them, so the busy
    // loop runs where the last is sent. The replies then wait, unread, past every call's timeout.
    const send = client!.sendCommand;
    let sent = 0;
    client!.sendCommand = function (this: typeof client, ...args: Parameters<typeof send>) {
      const result = send.apply(this, args);
      if (++sent === 20) {
        const until = performance.now() + 1000;
        while (performance.now() < until);
      }
      return result;
    } as typeof send;
    try {
      const decisions = Array.from({ length: 20 }, () => store.consumeBucket('busy', params));
      const results = await Promise.all(decisions);
      expect(sent).toBe(20);
      expect(results.filter((result) => result.allowed)).toHaveLength(5);
    } finally {
      client!.sendCommand = send;
    }
  });

  it('refuses bad options naming them', () => {
    expect(() => redisStore({ client: {} as never })).toThrow(/option "client"/);
    expect(() => redisStore({ client: client!, timeoutMs: 0 })).toThrow(/option "timeoutMs"/);
    expect(() => redisStore({ client: client!, prefix: 'app{1}:' })).toThrow(/option "prefix"/);
    expect(() => redisStore({ client: client!, failureThreshold: 0 })).toThrow(
      /option "failureThreshold"/,
    );
    expect(() => redisStore({ client: client!, retryMs: 1.5 })).toThrow(/option "retryMs"/);
    expect(() => redisStore({ client: client!, prefx: 'x' } as never)).toThrow(
      /unknown option "prefx"/,
    );
  });
});
