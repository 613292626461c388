/** The key store contract suite: every `KeyStore` (memory, later Redis) must pass it. */

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KeyRecord, KeyStore } from '../../src/stores/types.js';

/** Makes a fresh, empty store. */
export type KeyStoreFactory = () => KeyStore | Promise<KeyStore>;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function record(id: string, plaintext: string, extra: Partial<KeyRecord> = {}): KeyRecord {
  return { id, hash: sha256(plaintext), plan: 'free', enabled: true, createdAt: 1, ...extra };
}

export function runKeyStoreContract(name: string, makeStore: KeyStoreFactory): void {
  describe(`key store contract: ${name}`, () => {
    it('finds a stored key by hash and by id, with every field', async () => {
      const store = await makeStore();
      const stored = record('alice', 'alice-secret', { name: 'Alice' });
      await store.putKey('ns', stored);
      expect(await store.getKeyByHash('ns', sha256('alice-secret'))).toEqual(stored);
      expect(await store.getKey('ns', 'alice')).toEqual(stored);
      expect(await store.getKeyByHash('ns', sha256('other'))).toBeUndefined();
      expect(await store.getKey('ns', 'bob')).toBeUndefined();
    });

    it('replaces a record by id and forgets the old hash', async () => {
      const store = await makeStore();
      await store.putKey('ns', record('alice', 'old'));
      await store.putKey('ns', record('alice', 'new', { plan: 'pro', enabled: false }));
      expect(await store.getKeyByHash('ns', sha256('old'))).toBeUndefined();
      expect(await store.getKeyByHash('ns', sha256('new'))).toMatchObject({
        plan: 'pro',
        enabled: false,
      });
    });

    it('deletes, lists, and keeps namespaces apart', async () => {
      const store = await makeStore();
      await store.putKey('ns', record('alice', 'a'));
      await store.putKey('ns', record('bob', 'b'));
      await store.putKey('other', record('carol', 'c'));
      expect((await store.listKeys('ns')).map((r) => r.id).sort()).toEqual(['alice', 'bob']);
      expect(await store.deleteKey('ns', 'alice')).toBe(true);
      expect(await store.deleteKey('ns', 'alice')).toBe(false);
      expect(await store.getKeyByHash('ns', sha256('a'))).toBeUndefined();
      expect(await store.getKey('ns', 'carol')).toBeUndefined();
      expect((await store.listKeys('other')).map((r) => r.id)).toEqual(['carol']);
      expect(await store.listKeys('empty')).toEqual([]);
    });

    it('adds a key only when its id and its hash are free (addKey)', async () => {
      const store = await makeStore();
      expect(typeof store.addKey).toBe('function');
      expect(await store.addKey!('ns', record('alice', 'a'))).toBe(true);
      expect(await store.addKey!('ns', record('alice', 'other'))).toBe(false);
      expect(await store.addKey!('ns', record('bob', 'a'))).toBe(false);
      expect(await store.getKeyByHash('ns', sha256('other'))).toBeUndefined();
      expect(await store.getKey('ns', 'bob')).toBeUndefined();
      expect((await store.getKey('ns', 'alice'))?.hash).toBe(sha256('a'));
      expect(await store.addKey!('other', record('alice', 'a'))).toBe(true);
      expect((await store.listKeys('ns')).map((r) => r.id)).toEqual(['alice']);
    });

    it('lets exactly one of many concurrent addKey calls with one id succeed', async () => {
      const store = await makeStore();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.addKey!('ns', record('same', `secret-${i}`))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const stored = await store.getKey('ns', 'same');
      expect(await store.getKeyByHash('ns', stored!.hash)).toEqual(stored);
      expect(await store.listKeys('ns')).toHaveLength(1);
    });

    it('keeps the source digest of an imported record', async () => {
      const store = await makeStore();
      await store.putKey('ns', record('alice', 'a', { source: 'abc123' }));
      expect((await store.getKey('ns', 'alice'))?.source).toBe('abc123');
    });

    it('returns copies that cannot change what is stored', async () => {
      const store = await makeStore();
      await store.putKey('ns', record('alice', 'a'));
      const got = (await store.getKey('ns', 'alice')) as { enabled: boolean };
      try {
        got.enabled = false;
      } catch {
        // frozen: fine
      }
      expect((await store.getKey('ns', 'alice'))?.enabled).toBe(true);
    });
  });
}
