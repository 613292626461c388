import { describe, expect, it } from 'vitest';
import { MEMORY_ENTRY_OVERHEAD, memoryCacheStore } from '../../src/stores/memory/cache.js';
import { manualClock } from '../support/manual-clock.js';
import { runCacheStoreContract } from './cache-store.contract.js';

runCacheStoreContract('memory', (clock) => memoryCacheStore({ clock }));

describe('memoryCacheStore()', () => {
  it('evicts the least recently used entries past maxSize bytes', async () => {
    const clock = manualClock();
    // Each entry counts 900 body + 5 key + the per-entry overhead: three fit, a fourth does not.
    const maxSize = 3 * (900 + 5 + MEMORY_ENTRY_OVERHEAD) + 100;
    const store = memoryCacheStore({ maxSize, clock });
    const body = Buffer.alloc(900, 'x');
    const now = clock.now();
    const entry = {
      status: 200,
      headers: [],
      body,
      storedAt: now,
      expiresAt: now + 1e6,
      staleUntil: now + 1e6,
    };
    await store.set('n:/1?', entry);
    await store.set('n:/2?', entry);
    await store.set('n:/3?', entry);
    await store.get('n:/1?'); // now the most recently used
    await store.set('n:/4?', entry);
    expect(await store.get('n:/2?')).toBeUndefined();
    expect(await store.get('n:/1?')).toBeDefined();
    expect((await store.usage('n:')).bytes).toBeLessThanOrEqual(maxSize);
  });

  it('refuses a bad maxSize, naming the option', () => {
    expect(() => memoryCacheStore({ maxSize: 0 })).toThrow(/option "maxSize"/);
    expect(() => memoryCacheStore({ maxsize: 1 } as never)).toThrow(/unknown option "maxsize"/);
  });
});
