/** One token's verification: shape, header, key, signature and claims, then the principal it proves. */

import type { KeyObject } from 'node:crypto';
import jsonwebtoken from 'jsonwebtoken';
import type { Principal } from '../../core/context.js';
import { keyFitsAlgorithm } from './algorithms.js';
import { verifyEdDSA } from './eddsa.js';
import type { KeyLookup, KeySet } from './jwks.js';
import { type Refusal, refusalOf } from './refusals.js';

/** What `jwt` checks a token against, resolved at start-up. */
export interface Verifier {
  readonly algorithms: readonly string[];
  /** The one key (`secret`, `publicKey`), or the key set of `jwksUri`. */
  readonly key: KeyObject | KeySet;
  readonly issuer: string[] | undefined;
  readonly audience: string[] | undefined;
  /** Seconds. */
  readonly clockTolerance: number;
  readonly requiredClaims: readonly string[];
  /** Empty: no scope check. */
  readonly scopes: readonly string[];
}

/** A verified token: who it proves, and from when until when that holds (ms, for the cache). */
export interface Verified {
  readonly principal: Principal;
  readonly hasScope: boolean;
  readonly validFrom: number;
  readonly validUntil: number;
}

/** Three base64url segments, a non-empty signature (RFC 7515 §7.1); `alg: none` tokens fail here too. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Verifies `token` at time `now` (ms); synchronous unless a key set must be fetched. */
export function verifyToken(
  token: string,
  verifier: Verifier,
  now: number,
): Verified | Refusal | Promise<Verified | Refusal> {
  if (!COMPACT_JWS.test(token)) return 'malformed';
  const header = parseHeader(token);
  if (header === undefined) return 'malformed';
  // RFC 7515 §4.1.11: a recipient that does not understand every extension `crit` lists must
  // refuse the token. None is understood here (jsonwebtoken ignores `crit`, and `b64: false`
  // would change what the signature covers), so any `crit` makes the token invalid.
  if (header.critical) return 'invalid';
  if (!verifier.algorithms.includes(header.alg)) return 'algorithm';
  const source = verifier.key;
  if (!('lookup' in source)) return checkToken(token, header.alg, source, verifier, now, Infinity);
  const found = source.lookup(header.kid);
  if (found instanceof Promise)
    return found.then((k) => withSetKey(token, header.alg, k, verifier, now, source.expiresAt));
  return withSetKey(token, header.alg, found, verifier, now, source.expiresAt);
}

function withSetKey(
  token: string,
  alg: string,
  found: KeyLookup,
  verifier: Verifier,
  now: number,
  setExpiresAt: number,
): Verified | Refusal {
  if (found === 'unavailable') return 'keySet';
  if (found === 'unknown') return 'unknownKey';
  // A JWK that names its algorithm is used with no other (RFC 7517 §4.4).
  if ((found.alg !== undefined && found.alg !== alg) || !keyFitsAlgorithm(found.key, alg))
    return 'algorithm';
  return checkToken(token, alg, found.key, verifier, now, setExpiresAt);
}

function checkToken(
  token: string,
  alg: string,
  key: KeyObject,
  verifier: Verifier,
  now: number,
  keyExpiresAt: number,
): Verified | Refusal {
  const checks = {
    issuer: verifier.issuer,
    audience: verifier.audience,
    clockTolerance: verifier.clockTolerance,
    clockTimestamp: Math.floor(now / 1000),
  };
  let payload: Record<string, unknown>;
  try {
    payload =
      alg === 'EdDSA'
        ? verifyEdDSA(token, key, checks)
        : (jsonwebtoken.verify(token, key, {
            ...checks,
            audience: checks.audience as jsonwebtoken.VerifyOptions['audience'],
            issuer: checks.issuer as jsonwebtoken.VerifyOptions['issuer'],
            algorithms: [alg as jsonwebtoken.Algorithm],
          }) as Record<string, unknown>);
  } catch (err) {
    return refusalOf(err);
  }
  if (typeof payload !== 'object' || payload === null) return 'malformed';
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub === '') return 'claims';
  for (const claim of verifier.requiredClaims) if (payload[claim] === undefined) return 'claims';
  return verified(payload, sub, verifier, keyExpiresAt);
}

function verified(
  payload: Record<string, unknown>,
  sub: string,
  verifier: Verifier,
  keyExpiresAt: number,
): Verified {
  const scopes = scopesOf(payload);
  const tolerance = verifier.clockTolerance * 1000;
  const { exp, nbf } = payload;
  return Object.freeze({
    principal: Object.freeze({
      id: sub,
      via: 'jwt' as const,
      claims: deepFreeze(payload),
      scopes,
    }),
    hasScope: verifier.scopes.length === 0 || verifier.scopes.some((s) => scopes.includes(s)),
    validFrom: typeof nbf === 'number' ? nbf * 1000 - tolerance : -Infinity,
    validUntil: Math.min(typeof exp === 'number' ? exp * 1000 + tolerance : Infinity, keyExpiresAt),
  });
}

/** `scope` (space-separated, RFC 8693 §4.2) or else `scp` (a string or an array, as Okta and Entra ID send it). */
export function scopesOf(payload: Record<string, unknown>): readonly string[] {
  const raw = typeof payload.scope === 'string' ? payload.scope : payload.scp;
  const list = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw : [];
  return Object.freeze(list.filter((s): s is string => typeof s === 'string' && s !== ''));
}

/**
 * The JOSE header's `alg`, `kid` and whether it has `crit`, or undefined when it is not a JSON
 * object with a string `alg`.
 */
function parseHeader(
  token: string,
): { alg: string; kid: string | undefined; critical: boolean } | undefined {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString());
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null) return undefined;
  const { alg, kid } = header as { alg?: unknown; kid?: unknown };
  if (typeof alg !== 'string' || (kid !== undefined && typeof kid !== 'string')) return undefined;
  return { alg, kid, critical: Object.hasOwn(header, 'crit') };
}

/** Claims are shared by every request that re-sends the token: no handler may change them for the next. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
