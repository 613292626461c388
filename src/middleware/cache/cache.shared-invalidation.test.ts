/**
 * Invalidation across instances sharing one Redis cache store: `invalidate()` or `clear()` on one
 * instance wins over a miss already running on another, which must not store the older response
 * after it (two apps, as two processes would be, each with a `redisStore()` of its own on one Redis).
 */

import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import {
  connectRedis,
  deleteByPrefix,
  REDIS_URL,
  uniquePrefix,
} from '../../../test/support/redis.js';
import { counted, heldFirst } from '../../../test/support/routes.js';
import { redisStore } from '../../redis.js';
import type { CacheGenerations, CacheStore } from '../../stores/cache.js';
import { memoryCacheStore } from '../../stores/memory/cache.js';
import { type CacheMiddleware, cache } from './index.js';

const redis = await connectRedis();
const clients: Redis[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  if (redis === undefined) return;
  for (const prefix of prefixes) await deleteByPrefix(redis, prefix);
  for (const client of clients) client.disconnect();
  redis.disconnect();
});

/** One instance's cache middleware: its own Redis connection and store, on the shared prefix. */
function instance(prefix: string): CacheMiddleware {
  const client = new Redis(REDIS_URL);
  clients.push(client);
  const store = redisStore({ client, prefix, timeoutMs: 1000, onStateChange: () => undefined });
  // Behind one load balancer the instances see one Host; here each has a port of its own.
  return cache({ ttl: 60, namespace: 'shared', host: false, store: store.cache });
}

/** Waits for the write after a miss (it lands after the response): one entry in the namespace. */
async function storedOnce(mw: CacheMiddleware): Promise<void> {
  await vi.waitFor(async () => expect((await mw.stats()).entries).toBe(1));
}

describe.skipIf(redis === undefined)('cache() invalidation across instances', () => {
  describeEachFramework('a miss in flight on another instance', (fw) => {
    /** Instance A's handler is held on a miss for /r; B shares its Redis; both apps started. */
    async function twoInstances() {
      const prefix = uniquePrefix('cache-shared-inval');
      prefixes.push(prefix);
      const route = heldFirst();
      const a = await fw.start({ use: [instance(prefix)], routes: [route.route] });
      const mwB = instance(prefix);
      const b = await fw.start({ use: [mwB], routes: [route.route] });
      const first = a.request('/r');
      await route.entered.opened;
      return { a, b, mwB, route, first };
    }

    it('does not store its older response after invalidate() on another instance', async () => {
      const { a, b, mwB, route, first } = await twoInstances();
      await mwB.invalidate('/r');
      route.release.open();
      expect((await first).body).toBe('n=1');
      const onB = await b.request('/r');
      expect([onB.body, onB.headers['cache-status']]).toEqual([
        'n=2',
        expect.stringMatching(/miss/),
      ]);
      await storedOnce(mwB);
      // The response fetched after the invalidation is stored, and shared.
      expect((await a.request('/r')).body).toBe('n=2');
      expect(route.calls).toBe(2);
    });

    it('does not store its older response after clear() on another instance', async () => {
      const { a, b, mwB, route, first } = await twoInstances();
      await mwB.clear();
      route.release.open();
      expect((await first).body).toBe('n=1');
      expect((await b.request('/r')).body).toBe('n=2');
      await storedOnce(mwB);
      expect((await a.request('/r')).body).toBe('n=2');
      expect(route.calls).toBe(2);
    });
  });
});

/**
 * A memory store with generations in this process, counting their reads; `read` answers what
 * `answer` gives (a generation, a rejection, a wrong type).
 */
function storeWithGenerations(answer: () => unknown = () => '0') {
  const store = memoryCacheStore();
  const counts = { reads: 0 };
  const generations = {
    read: () => {
      counts.reads += 1;
      return answer();
    },
    bump: async () => undefined,
    setIf: async (_prefix: string, _generation: string, key: string, entry: never) => {
      await store.set(key, entry);
      return true;
    },
  } as unknown as CacheGenerations;
  return { store: { ...store, generations } as CacheStore, counts };
}

describeEachFramework('cache() with a store that has generations', (fw) => {
  beforeEach(() => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reads the generation once per miss, never on a hit', async () => {
    const { store, counts } = storeWithGenerations();
    const route = counted();
    const app = await fw.start({ use: [cache({ ttl: 60, store })], routes: [route.route] });
    expect((await app.request('/r')).body).toBe('n=1');
    await vi.waitFor(async () => expect((await app.request('/r')).body).toBe('n=1'));
    const reads = counts.reads;
    expect((await app.request('/r')).headers['cache-status']).toMatch(/^portcullis; hit/);
    expect(counts.reads).toBe(reads);
    expect(route.calls).toBe(1);
  });

  it.each([
    ['rejects', () => Promise.reject(new Error('down'))],
    [
      'throws',
      () => {
        throw new Error('down');
      },
    ],
    ['answers a number', () => 7],
  ])('answers a miss but stores nothing when reading the generation %s', async (_name, answer) => {
    const { store } = storeWithGenerations(answer);
    const route = counted();
    const mw = cache({ ttl: 60, store });
    const app = await fw.start({ use: [mw], routes: [route.route] });
    const first = await app.request('/r');
    expect([first.status, first.body]).toEqual([200, 'n=1']);
    expect((await app.request('/r')).body).toBe('n=2');
    expect((await mw.stats()).storeErrors).toBe(2);
  });
});
