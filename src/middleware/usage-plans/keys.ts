/** API keys: generated, hashed and compared without ever keeping or logging the plaintext. */

import * as crypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';

/** SHA-256 of a plaintext key, lower-case hex: the only form in which keys are stored. */
export function hashKey(plaintext: string): string {
  return oneShotHash === undefined
    ? createHash('sha256').update(plaintext, 'utf8').digest('hex')
    : oneShotHash('sha256', plaintext, 'hex');
}

/** `crypto.hash` (Node ≥ 20.12): a third of `createHash`'s cost for short inputs, no Hash object. */
const oneShotHash = (
  crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }
).hash;

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
  // Every character is visited and differences are OR-ed together: no early exit, so the time
  // does not depend on where the strings differ (what crypto.timingSafeEqual does on buffers,
  // without allocating two per request).
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** Shortest key accepted in `keys` / `importKeys` (API Gateway's minimum). */
export const MIN_KEY_LENGTH = 20;
/** Longer presented keys are refused before hashing (no hashing of megabyte headers). */
export const MAX_KEY_LENGTH = 256;

/**
 * What a presented key can be: visible ASCII only (no spaces or control characters, which an HTTP
 * field value cannot carry intact, RFC 9110 §5.5), from `MIN_KEY_LENGTH` to `MAX_KEY_LENGTH`.
 */
export const PRESENTABLE_KEY = /^[\x21-\x7e]{20,256}$/;

/** A key as the `keys` option or `importKeys()` defines it, hashed at once: no plaintext kept. */
export interface KeyDefinition {
  readonly id: string;
  readonly hash: string;
  readonly plan: string;
  readonly enabled: boolean;
  readonly name: string | undefined;
  /** Digest of the definition's content: what an import compares with the stored record's. */
  readonly source: string;
}

/** Hashes a key input into its definition; the plaintext goes no further than this call. */
export function defineKey(input: {
  id: string;
  key: string;
  plan: string;
  enabled?: boolean;
  name?: string;
}): KeyDefinition {
  const hash = hashKey(input.key);
  const enabled = input.enabled ?? true;
  const content = JSON.stringify([input.id, hash, input.plan, enabled, input.name ?? null]);
  return Object.freeze({
    id: input.id,
    hash,
    plan: input.plan,
    enabled,
    name: input.name,
    source: hashKey(content).slice(0, 32),
  });
}
