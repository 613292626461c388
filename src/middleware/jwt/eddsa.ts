/**
 * EdDSA tokens (RFC 8037), which jsonwebtoken 9 does not verify: the signature is checked with
 * node:crypto and the claims as jsonwebtoken checks them, throwing its error classes so that
 * both paths are refused alike.
 */

import { type KeyObject, verify as verifySignature } from 'node:crypto';
import jsonwebtoken from 'jsonwebtoken';

const { JsonWebTokenError, NotBeforeError, TokenExpiredError } = jsonwebtoken;

/** The checks jsonwebtoken's `verify` makes after the signature, with the same options. */
export interface ClaimChecks {
  readonly issuer?: string | string[];
  readonly audience?: string | string[];
  readonly clockTolerance: number;
  readonly clockTimestamp: number;
}

/** Verifies an EdDSA-signed compact JWS and its claims; returns the payload. */
export function verifyEdDSA(
  token: string,
  key: KeyObject,
  checks: ClaimChecks,
): Record<string, unknown> {
  const lastDot = token.lastIndexOf('.');
  const signingInput = Buffer.from(token.slice(0, lastDot), 'latin1');
  const signature = Buffer.from(token.slice(lastDot + 1), 'base64url');
  if (!verifySignature(null, signingInput, key, signature))
    throw new JsonWebTokenError('invalid signature');
  const payload = jsonwebtoken.decode(token, { json: true });
  if (payload === null || typeof payload !== 'object') throw new JsonWebTokenError('invalid token');
  checkClaims(payload, checks);
  return payload;
}

function checkClaims(payload: Record<string, unknown>, checks: ClaimChecks): void {
  const { clockTimestamp: now, clockTolerance: tolerance } = checks;
  const { nbf, exp, aud, iss } = payload;
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') throw new JsonWebTokenError('invalid nbf value');
    if (nbf > now + tolerance) throw new NotBeforeError('jwt not active', new Date(nbf * 1000));
  }
  if (exp !== undefined) {
    if (typeof exp !== 'number') throw new JsonWebTokenError('invalid exp value');
    if (now >= exp + tolerance) throw new TokenExpiredError('jwt expired', new Date(exp * 1000));
  }
  if (checks.audience !== undefined) {
    const accepted = ([] as unknown[]).concat(checks.audience);
    const given = Array.isArray(aud) ? aud : [aud];
    if (!given.some((a) => accepted.includes(a)))
      throw new JsonWebTokenError('jwt audience invalid');
  }
  if (checks.issuer !== undefined && !([] as unknown[]).concat(checks.issuer).includes(iss))
    throw new JsonWebTokenError('jwt issuer invalid');
}
