/** The cache store contract suite: every `CacheStore` (memory, later Redis) must pass it. */

import { describe, expect, it, type TestContext } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import type { CacheEntry, CacheStore } from '../../src/stores/cache.js';
import { type ManualClock, manualClock } from '../support/manual-clock.js';

/** Makes a fresh, empty store on the given clock. */
export type CacheStoreFactory = (clock: Clock) => CacheStore | Promise<CacheStore>;

function entry(clock: ManualClock, body: string, ttlMs = 60_000): CacheEntry {
  const now = clock.now();
  return {
    status: 200,
    headers: [
      ['content-type', 'text/plain; charset=utf-8'],
      ['link', ['</a>; rel=preload', '</b>; rel=preload']],
    ],
    body: Buffer.from(body),
    storedAt: now,
    expiresAt: now + ttlMs,
    staleUntil: now + ttlMs,
  };
}

export function runCacheStoreContract(name: string, makeStore: CacheStoreFactory): void {
  describe(`cache store contract: ${name}`, () => {
    it('returns undefined for a missing key', async () => {
      const store = await makeStore(manualClock());
      expect(await store.get('ns:missing')).toBeUndefined();
      expect(await store.delete('ns:missing')).toBe(false);
    });

    it('returns what was stored, body bytes and headers intact', async () => {
      const clock = manualClock();
      const store = await makeStore(clock);
      const stored = entry(clock, 'héllo');
      await store.set('ns:/a?', stored);
      const got = await store.get('ns:/a?');
      expect(got?.status).toBe(200);
      expect(got?.headers).toEqual(stored.headers);
      expect(Buffer.compare(got!.body, Buffer.from('héllo'))).toBe(0);
      expect(got?.storedAt).toBe(stored.storedAt);
      expect(got?.expiresAt).toBe(stored.expiresAt);
      expect(got?.staleUntil).toBe(stored.staleUntil);
    });

    it('keeps a Vary index entry with its header names', async () => {
      const clock = manualClock();
      const store = await makeStore(clock);
      const now = clock.now();
      await store.set('ns:/v?', {
        status: 0,
        headers: [],
        body: Buffer.alloc(0),
        storedAt: now,
        expiresAt: now + 1000,
        staleUntil: now + 1000,
        vary: ['accept-language'],
      });
      expect((await store.get('ns:/v?'))?.vary).toEqual(['accept-language']);
    });

    it('replaces an entry and deletes one', async () => {
      const clock = manualClock();
      const store = await makeStore(clock);
      await store.set('ns:/a?', entry(clock, 'one'));
      await store.set('ns:/a?', entry(clock, 'two'));
      expect((await store.get('ns:/a?'))?.body.toString()).toBe('two');
      expect(await store.delete('ns:/a?')).toBe(true);
      expect(await store.get('ns:/a?')).toBeUndefined();
    });

    it('forgets an entry once its staleUntil has passed', async () => {
      const clock = manualClock();
      const store = await makeStore(clock);
      await store.set('ns:/a?', entry(clock, 'x', 1000));
      clock.advance(999);
      expect(await store.get('ns:/a?')).toBeDefined();
      clock.advance(2);
      expect(await store.get('ns:/a?')).toBeUndefined();
    });

    it('keeps an entry whose storedAt lies before now (a response that arrived with an Age)', async () => {
      const clock = manualClock();
      const store = await makeStore(clock);
      const aged = { ...entry(clock, 'aged'), storedAt: clock.now() - 100_000 };
      await store.set('ns:/aged?', aged);
      expect((await store.get('ns:/aged?'))?.storedAt).toBe(aged.storedAt);
    });

    it('lets a delete or clear issued after a set win, without awaiting the set (invalidate() relies on it)', async () => {
      const clock = manualClock();
      const store = await makeStore(clock);
      const written = store.set('ns:/race?', entry(clock, 'old'));
      const deleted = store.delete('ns:/race?');
      await Promise.all([written, deleted]);
      expect(await store.get('ns:/race?')).toBeUndefined();
      const again = store.set('ns:/race?', entry(clock, 'old'));
      const cleared = store.clear('ns:');
      await Promise.all([again, cleared]);
      expect(await store.get('ns:/race?')).toBeUndefined();
    });

    it('never rejects for a missing key, nor throws synchronously', async () => {
      const store = await makeStore(manualClock());
      const calls = [
        () => store.get('ns:none'),
        () => store.delete('ns:none'),
        () => store.keys('ns-none:'),
        () => store.clear('ns-none:'),
        () => store.usage('ns-none:'),
      ];
      for (const call of calls) {
        let answer: Promise<unknown> | undefined;
        expect(() => {
          answer = call();
        }).not.toThrow();
        expect(answer).toBeInstanceOf(Promise);
        await answer;
      }
      expect(await store.usage('ns-none:')).toEqual({ entries: 0, bytes: 0 });
    });

    it('lists, measures and clears keys by prefix without touching other namespaces', async () => {
      const clock = manualClock();
      const store = await makeStore(clock);
      await store.set('a:/1?', entry(clock, '12345'));
      await store.set('a:/2?', entry(clock, '12345'));
      await store.set('b:/1?', entry(clock, '12345'));
      expect((await store.keys('a:')).sort()).toEqual(['a:/1?', 'a:/2?']);
      const usage = await store.usage('a:');
      expect(usage.entries).toBe(2);
      expect(usage.bytes).toBeGreaterThanOrEqual(10);
      await store.clear('a:');
      expect(await store.keys('a:')).toEqual([]);
      expect(await store.get('b:/1?')).toBeDefined();
    });

    // Optional capability: only a store that offers `generations` is held to it.
    /** A fresh store and its generations; skips the test when the store has none. */
    async function withGenerations(ctx: TestContext) {
      const clock = manualClock();
      const store = await makeStore(clock);
      const generations = store.generations;
      if (generations === undefined) ctx.skip();
      return { clock, store, generations: generations! };
    }

    it('generations: a write checked against a generation bumped since is not stored', async (ctx) => {
      const { clock, store, generations } = await withGenerations(ctx);
      const before = await generations.read('g:');
      expect(typeof before).toBe('string');
      expect(await generations.setIf('g:', before, 'g:/a?', entry(clock, 'kept'))).toBe(true);
      expect((await store.get('g:/a?'))?.body.toString()).toBe('kept');
      await generations.bump('g:');
      expect(await generations.setIf('g:', before, 'g:/a?', entry(clock, 'old'))).toBe(false);
      expect(await generations.setIf('g:', before, 'g:/b?', entry(clock, 'old'))).toBe(false);
      expect((await store.get('g:/a?'))?.body.toString()).toBe('kept');
      expect(await store.get('g:/b?')).toBeUndefined();
      const after = await generations.read('g:');
      expect(await generations.setIf('g:', after, 'g:/b?', entry(clock, 'new'))).toBe(true);
      expect((await store.get('g:/b?'))?.body.toString()).toBe('new');
    });

    it('generations: per namespace, never reset by clear() nor listed as a key', async (ctx) => {
      const { clock, store, generations } = await withGenerations(ctx);
      const first = await generations.read('g:');
      const other = await generations.read('h:');
      await generations.bump('g:');
      expect(await generations.read('h:')).toBe(other);
      await store.clear('g:');
      expect(await store.keys('g')).toEqual([]);
      const bumped = await generations.read('g:');
      expect(bumped).not.toBe(first);
      // A miss that read the generation before the bump must not store after a clear().
      expect(await generations.setIf('g:', first, 'g:/a?', entry(clock, 'old'))).toBe(false);
      expect(await generations.setIf('h:', other, 'h:/a?', entry(clock, 'other'))).toBe(true);
    });
  });
}
