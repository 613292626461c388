/** Types shared by the jwt middleware's files (options, algorithms, token sources). */

import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { ErrorResponseOptions } from '../../core/errors.js';
import type { AnyRequest } from '../../core/middleware.js';

/** The JWS algorithms a token may be signed with (RFC 7518 §3.1, RFC 8037 for EdDSA). */
export type JwtAlgorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA';

/** Where the token is read from; the sources are tried in this order and the first one present wins. */
export interface JwtTokenSources {
  /** A request header holding the token, with or without a `Bearer ` prefix. */
  header?: string;
  /** A cookie holding the token. */
  cookie?: string;
  /** A query-string parameter holding the token. */
  query?: string;
}

/** Reads the token itself; `undefined` (or `''`) means "no token". May return a promise. */
export type JwtTokenGetter<Req = AnyRequest> = (
  req: Req,
) => string | undefined | Promise<string | undefined>;

/** Replacements for the responses `jwt` sends. */
export interface JwtResponses {
  /** No token, or an invalid one: 401 `{"message":"Unauthorized"}` (the `WWW-Authenticate` header is always added). */
  unauthorized?: ErrorResponseOptions;
  /** The token lacks every scope of `scopes`: 403 `{"message":"Forbidden"}`. */
  forbidden?: ErrorResponseOptions;
  /** The key set cannot be fetched and none is cached: 500 `{"message":"Internal server error"}`. */
  keySetUnavailable?: ErrorResponseOptions;
}

export interface JwtOptions<Req = AnyRequest> {
  /** HMAC secret for HS256/384/512 (at least 32 bytes, RFC 7518 §3.2). Exactly one of `secret`, `publicKey`, `jwksUri`. */
  secret?: string | Buffer;
  /** Public key (PEM or `KeyObject`) for RS*, PS*, ES* or EdDSA. Exactly one of `secret`, `publicKey`, `jwksUri`. */
  publicKey?: string | KeyObject;
  /**
   * URL of the issuer's JSON Web Key Set (`…/.well-known/jwks.json`), fetched when first needed
   * and kept for `jwksCacheMaxAge`. A token whose `kid` is not in the set triggers one refetch
   * (at most `jwksRequestsPerMinute`), so a rotated key needs no restart.
   * Exactly one of `secret`, `publicKey`, `jwksUri`.
   */
  jwksUri?: string;
  /**
   * The algorithms accepted; required. `none` is refused, and HS* is refused with `publicKey` or
   * `jwksUri` (an HS256 token "signed" with the public key as its secret would otherwise pass).
   * @example ['RS256']
   */
  algorithms: readonly JwtAlgorithm[];
  /** Accepted `iss` value(s). @default any */
  issuer?: string | readonly string[];
  /** Accepted `aud` value(s): the token's `aud` (string or array) must contain one. @default any */
  audience?: string | readonly string[];
  /** Seconds of clock skew allowed when checking `exp` and `nbf`. @default 0 */
  clockTolerance?: number;
  /** Claims that must be present (`sub` always must: it is the principal's id). @default [] */
  requiredClaims?: readonly string[];
  /**
   * The token's `scope` (space-separated) or `scp` (string or array) must contain at least one of
   * these, as API Gateway's authorization scopes; else 403. @default no scope check
   */
  scopes?: readonly string[];
  /**
   * Where the token is: the `Authorization: Bearer <token>` header by default; an object naming a
   * header, cookie and/or query parameter (only those are read); or a function of the request.
   * @default { header: 'authorization' }
   */
  token?: JwtTokenSources | JwtTokenGetter<Req>;
  /** Longer tokens are refused (401) without being parsed. @default 8192 */
  maxTokenLength?: number;
  /** `false` lets a request without any token through with no principal; a present but invalid token is still refused. @default true */
  credentialsRequired?: boolean;
  /**
   * Verified tokens kept (least recently used dropped first), so that a client re-sending its
   * token does not pay a signature check per request. An entry never outlives the token's `exp`
   * (nor, with `jwksUri`, the key set it was checked against). 0 verifies every request.
   * @default 1000
   */
  cacheSize?: number;
  /** Milliseconds a fetched key set is used before it is fetched again. @default 600000 (10 min, as jwks-rsa) */
  jwksCacheMaxAge?: number;
  /** Refetches of the key set for unknown `kid`s allowed per minute. @default 10 (as jwks-rsa) */
  jwksRequestsPerMinute?: number;
  /** Milliseconds a key-set fetch may take in all; then the request gets the 500. @default 1500 */
  jwksTimeout?: number;
  /**
   * Milliseconds after a failed key-set fetch (with no unexpired set cached) during which requests
   * get the 500 at once instead of starting another fetch, so a failing issuer does not receive
   * one fetch per request. 0 fetches again for the next request. @default 1000
   */
  jwksRetryAfter?: number;
  /** Time source (token `exp`/`nbf`, caches). @default systemClock */
  clock?: Clock;
  /** Replaces the 401, 403 and 500 bodies and statuses. */
  responses?: JwtResponses;
}
