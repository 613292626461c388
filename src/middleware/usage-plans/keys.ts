/** API keys: generated, hashed and compared without ever keeping or logging the plaintext. */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a plaintext key, lower-case hex: the only form in which keys are stored. */
export function hashKey(plaintext: string): string {
  return createHash('sha256').update(plaintext, 'utf8').digest('hex');
}

/** A new key: 40 URL-safe characters from 30 random bytes (240 bits), like API Gateway's 40-character keys. */
export function generateKey(): string {
  return randomBytes(30).toString('base64url');
}

/**
 * Compares two hashes in constant time. The store finds a record by hash, and a hash is not
 * something a client can steer character by character, so the lookup leaks nothing useful; this
 * second, constant-time comparison keeps that true for any store, however it looks keys up.
 */
export function hashesEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}

/** Shortest key accepted in `keys` / `importKeys` (API Gateway's minimum). */
export const MIN_KEY_LENGTH = 20;
/** Longer presented keys are refused before hashing (no hashing of megabyte headers). */
export const MAX_KEY_LENGTH = 256;
