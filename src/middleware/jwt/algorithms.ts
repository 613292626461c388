/** The key source and the algorithms it allows, checked against each other at start-up. */

import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { optionRangeError, optionTypeError } from '../../core/validate.js';
import type { JwtAlgorithm } from './types.js';

const SCOPE = 'jwt';

const HMAC_ALGORITHMS: readonly string[] = ['HS256', 'HS384', 'HS512'];

/** Node's key type (and EC curve) each asymmetric algorithm needs (RFC 7518 §3.3–3.5, RFC 8037). */
const KEY_TYPES: Readonly<Record<string, readonly string[]>> = {
  RS256: ['rsa'],
  RS384: ['rsa'],
  RS512: ['rsa'],
  PS256: ['rsa', 'rsa-pss'],
  PS384: ['rsa', 'rsa-pss'],
  PS512: ['rsa', 'rsa-pss'],
  ES256: ['ec:prime256v1'],
  ES384: ['ec:secp384r1'],
  ES512: ['ec:secp521r1'],
  EdDSA: ['ed25519', 'ed448'],
};

/** RFC 7518 §3.2: an HMAC key at least as long as the hash output; 32 bytes covers HS256. */
const MIN_SECRET_BYTES = 32;

/** How tokens are checked: one static key, or keys looked up by `kid` in a fetched set. */
export type KeySource =
  | { readonly kind: 'static'; readonly key: KeyObject }
  | { readonly kind: 'jwks'; readonly uri: string };

/** `rsa`, `ec:prime256v1`, `ed25519`...: what `KEY_TYPES` lists, for one key. */
export function keyTypeOf(key: KeyObject): string {
  const type = key.asymmetricKeyType ?? 'secret';
  return type === 'ec' ? `ec:${key.asymmetricKeyDetails?.namedCurve ?? ''}` : type;
}

/** Whether `key` may verify a token signed with `alg` (HMAC keys only for HS*, and the right curve). */
export function keyFitsAlgorithm(key: KeyObject, alg: string): boolean {
  if (HMAC_ALGORITHMS.includes(alg)) return key.type === 'secret';
  return key.type === 'public' && (KEY_TYPES[alg]?.includes(keyTypeOf(key)) ?? false);
}

/** Validates `algorithms`: a non-empty list of known names, never `none`. */
export function assertAlgorithms(value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0)
    throw optionTypeError(SCOPE, 'algorithms', 'a non-empty array such as ["RS256"]', value);
  for (const alg of value) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none')
      throw optionRangeError(SCOPE, 'algorithms', 'signing algorithms ("none" is refused)', alg);
    if (typeof alg !== 'string' || !(HMAC_ALGORITHMS.includes(alg) || alg in KEY_TYPES))
      throw optionTypeError(SCOPE, 'algorithms', `a list of ${allAlgorithms()}`, alg);
  }
  return Object.freeze([...new Set(value as string[])]);
}

function allAlgorithms(): string {
  return [...HMAC_ALGORITHMS, ...Object.keys(KEY_TYPES)].join(', ');
}

/**
 * Picks the one key source and checks `algorithms` against it: HS* only with `secret`, the
 * asymmetric ones only with `publicKey` or `jwksUri` (the algorithm-confusion attack signs an
 * HS256 token with the public key as its HMAC secret), and a public key must fit every algorithm.
 */
export function resolveKeySource(
  secret: unknown,
  publicKey: unknown,
  jwksUri: unknown,
  algorithms: readonly string[],
): KeySource {
  const given = [secret, publicKey, jwksUri].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new TypeError(
      `portcullis.${SCOPE}: exactly one of the options "secret", "publicKey", "jwksUri" is needed, got ${given}`,
    );
  }
  const symmetric = secret !== undefined;
  for (const alg of algorithms) {
    if (HMAC_ALGORITHMS.includes(alg) !== symmetric) {
      throw optionRangeError(
        SCOPE,
        'algorithms',
        symmetric
          ? 'HS256, HS384 or HS512 with "secret"'
          : 'asymmetric algorithms with "publicKey" or "jwksUri" (HS* is refused: algorithm confusion)',
        alg,
      );
    }
  }
  if (symmetric) return { kind: 'static', key: secretKey(secret) };
  if (publicKey !== undefined) return { kind: 'static', key: verifyingKey(publicKey, algorithms) };
  return { kind: 'jwks', uri: jwksUrl(jwksUri) };
}

function secretKey(secret: unknown): KeyObject {
  if (typeof secret !== 'string' && !Buffer.isBuffer(secret))
    throw optionTypeError(SCOPE, 'secret', 'a string or a Buffer', secret);
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.length < MIN_SECRET_BYTES)
    throw optionRangeError(SCOPE, 'secret', `at least ${MIN_SECRET_BYTES} bytes`, secret);
  // A KeyObject once: jsonwebtoken otherwise tries createPublicKey on a string secret per token.
  return createSecretKey(bytes);
}

function verifyingKey(publicKey: unknown, algorithms: readonly string[]): KeyObject {
  let key: KeyObject;
  try {
    key =
      publicKey instanceof KeyObject
        ? publicKey
        : createPublicKey(typeof publicKey === 'string' ? publicKey : '');
  } catch {
    throw optionTypeError(SCOPE, 'publicKey', 'a PEM public key or a KeyObject', publicKey);
  }
  // A private key passed by mistake verifies as its public half; a secret key never does.
  if (key.type === 'private') key = createPublicKey(key);
  if (key.type !== 'public')
    throw optionTypeError(SCOPE, 'publicKey', 'a public key, not a secret', publicKey);
  for (const alg of algorithms) {
    if (!keyFitsAlgorithm(key, alg))
      throw optionRangeError(
        SCOPE,
        'algorithms',
        `algorithms a ${keyTypeOf(key)} key verifies`,
        alg,
      );
  }
  return key;
}

function jwksUrl(value: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw optionTypeError(SCOPE, 'jwksUri', 'an http(s) URL', value);
  // fetch() refuses a URL with credentials: every fetch would fail, every token answered 500.
  if (url.username !== '' || url.password !== '')
    throw optionTypeError(
      SCOPE,
      'jwksUri',
      'an http(s) URL without user:password@',
      '(a URL with credentials)',
    );
  return url.href;
}

export type { JwtAlgorithm };
