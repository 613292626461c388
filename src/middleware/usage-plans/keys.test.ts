import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKey, hashesEqual, hashKey } from './keys.js';

describe('hashKey()', () => {
  it('is the SHA-256 of the key in lower-case hex', () => {
    const key = 'pro-key-0123456789abcdef0';
    expect(hashKey(key)).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hashKey('ключ-🔑')).toBe(createHash('sha256').update('ключ-🔑', 'utf8').digest('hex'));
  });
});

describe('hashesEqual()', () => {
  it('tells equal hashes from different ones, wherever they differ', () => {
    const a = hashKey('a');
    expect(hashesEqual(a, a)).toBe(true);
    expect(hashesEqual(a, `x${a.slice(1)}`)).toBe(false);
    expect(hashesEqual(a, `${a.slice(0, -1)}x`)).toBe(false);
    expect(hashesEqual(a, a.slice(1))).toBe(false);
  });
});

describe('generateKey()', () => {
  it('makes distinct 40-character URL-safe keys', () => {
    const keys = new Set(Array.from({ length: 100 }, generateKey));
    expect(keys.size).toBe(100);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9_-]{40}$/);
  });
});
