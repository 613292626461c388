/**
 * Bytes per entry of the two per-entry structures that grow with traffic, measured with
 * `process.memoryUsage()` (heap + array buffers, after a full GC) before and after filling N:
 *
 * - the memory cache store: N responses of a 1 KiB body, stored as `cache()` stores them (a key
 *   of the bench's shape, the JSON content type and an ETag, the body copied from a string, as
 *   the capture copies a handler's small body), against the store's own accounting (`usage()`);
 *   then the same entries in a plain Map, and the parts alone, to say where the bytes go;
 * - usage plans' key cache (`keyCacheSize`): N key records, each learnt once, as the first
 *   request with each key leaves them (the records themselves are the store's, not counted).
 *
 *   node --expose-gc --import tsx bench/memory/entries.ts [--entries=100000] [--keys=100000]
 *
 * Prints one JSON line. Not part of `npm run bench` (a probe for choosing defaults).
 */

import { hashKey } from '../../src/middleware/usage-plans/keys.js';
import { KnownKeys } from '../../src/middleware/usage-plans/known-keys.js';
import { resolveUsagePlansOptions } from '../../src/middleware/usage-plans/options.js';
import { memoryCacheStore } from '../../src/stores/memory/cache.js';
import { settle } from './_settle.mjs';

const flag = (name: string, fallback: number): number =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const N = flag('entries', 100_000);
const KEYS = flag('keys', 100_000);
const used = (m: NodeJS.MemoryUsage): number => m.heapUsed + m.arrayBuffers;

async function measure<T>(fill: () => Promise<T>): Promise<{ held: T | undefined; bytes: number }> {
  await settle();
  const before = used(process.memoryUsage());
  const held = await fill();
  await settle();
  const after = used(process.memoryUsage());
  return { held, bytes: after - before };
}

const BODY_TEXT = 'x'.repeat(1024);
const keyOf = (i: number): string => `cache:/items/${i}?\nhttp://127.0.0.1:40123`;
const entryOf = (i: number, now: number) => ({
  status: 200,
  headers: [
    ['content-type', `application/json; charset=${'utf-8'}`] as const,
    ['etag', `"${i.toString(36).padStart(27, 'A')}"`] as const,
  ],
  body: Buffer.from(BODY_TEXT),
  storedAt: now,
  expiresAt: now + 3_600_000,
  staleUntil: now + 3_600_000,
});

const perEntry = (r: { bytes: number }, n: number): number => Math.round(r.bytes / n);
const out: Record<string, unknown> = { node: process.version, entries: N, bodyBytes: 1024 };

// The store, as cache() uses it.
const store = await measure(async () => {
  const s = memoryCacheStore({ maxSize: 64 * 1024 ** 3 });
  const now = Date.now();
  for (let i = 0; i < N; i++) await s.set(keyOf(i), entryOf(i, now));
  return s;
});
const usage = await store.held!.usage('');
out.store = {
  measuredPerEntry: perEntry(store, N),
  accountedPerEntry: Math.round(usage.bytes / usage.entries),
};
store.held = undefined;

// The same entries in a plain Map: what the LRU's bookkeeping adds.
const map = await measure(async () => {
  const m = new Map<string, unknown>();
  const now = Date.now();
  for (let i = 0; i < N; i++) m.set(keyOf(i), entryOf(i, now));
  return m;
});
out.plainMapPerEntry = perEntry(map, N);
map.held = undefined;

// The parts: the key strings alone, the bodies alone.
const keys = await measure(async () => Array.from({ length: N }, (_, i) => keyOf(i)));
out.keyPerEntry = perEntry(keys, N);
keys.held = undefined;
const bodies = await measure(async () => Array.from({ length: N }, () => Buffer.from(BODY_TEXT)));
out.bodyPerEntry = perEntry(bodies, N);
bodies.held = undefined;

// Usage plans' key cache: N records, as the memory store holds them, each learnt once.
out.keyCache = await measureKeyCache(KEYS);

process.stdout.write(`${JSON.stringify(out)}\n`);

async function measureKeyCache(count: number) {
  const plans = resolveUsagePlansOptions({
    plans: { pro: { throttle: { rate: 1e6, burst: 1e6 }, quota: { limit: 1e9, period: 'day' } } },
  }).plans;
  // What the store holds anyway (records, each hash kept there too): not the cache's.
  const records = Array.from({ length: count }, (_, i) =>
    Object.freeze({
      id: `caller-${i}`,
      hash: hashKey(`bench-caller-${String(i).padStart(8, '0')}-key`),
      plan: 'pro',
      enabled: true,
      createdAt: 0,
    }),
  );
  const emptyCache = await measure(async () => new KnownKeys('usage-plans', plans, count));
  const filled = await measure(async () => {
    const known = new KnownKeys('usage-plans', plans, count);
    // Each request hashes the presented key anew: the cache keeps that string as its key.
    for (let i = 0; i < count; i++)
      known.learn(hashKey(`bench-caller-${String(i).padStart(8, '0')}-key`), records[i]!);
    return known;
  });
  return {
    keys: count,
    perKey: Math.round(filled.bytes / count),
    ofWhichPreallocatedSlot: Math.round(emptyCache.bytes / count),
  };
}
