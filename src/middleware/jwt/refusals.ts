/** The 401/403/500 answers of `jwt`, one prepared response per reason (RFC 6750 §3), built at start-up. */

import {
  type ErrorResponseOptions,
  type GatewayResponseKind,
  type PreparedResponse,
  prepareErrorResponse,
} from '../../core/errors.js';
import { assertKnownOptions, optionTypeError } from '../../core/validate.js';
import type { JwtResponses } from './types.js';

/** Why a request was refused. Every reason but `missing`, `scope` and `keySet` is an invalid token. */
export type Refusal = keyof typeof INVALID_TOKEN_REASONS | 'missing' | 'scope' | 'keySet';

/**
 * RFC 6750 `error_description`s: short, fixed, never echoing the token, and API Gateway's
 * response type for each (`EXPIRED_TOKEN`, `INVALID_SIGNATURE`, else `UNAUTHORIZED`).
 */
const INVALID_TOKEN_REASONS = {
  malformed: ['The token is malformed', 'UNAUTHORIZED'],
  tooLong: ['The token is too long', 'UNAUTHORIZED'],
  algorithm: ['The token algorithm is not allowed', 'UNAUTHORIZED'],
  signature: ['The token signature is invalid', 'INVALID_SIGNATURE'],
  expired: ['The token expired', 'EXPIRED_TOKEN'],
  notYetValid: ['The token is not valid yet', 'UNAUTHORIZED'],
  issuer: ['The token issuer is not accepted', 'UNAUTHORIZED'],
  audience: ['The token audience is not accepted', 'UNAUTHORIZED'],
  unknownKey: ['The token signing key is unknown', 'UNAUTHORIZED'],
  claims: ['The token lacks a required claim', 'UNAUTHORIZED'],
  invalid: ['The token is invalid', 'UNAUTHORIZED'],
} as const satisfies Record<string, readonly [string, string]>;

const SCOPE = 'jwt';

/** `Bearer error="insufficient_scope", scope="a b"` (RFC 6750 §3: the scopes that would do). */
function insufficientScope(scopes: readonly string[]): string {
  const scope = scopes.length > 0 ? `, scope="${scopes.join(' ')}"` : '';
  return `Bearer error="insufficient_scope"${scope}`;
}

function prepare(
  kind: GatewayResponseKind,
  override: ErrorResponseOptions | undefined,
  option: string,
  responseType: string,
  challenge: string | undefined,
): PreparedResponse {
  if (override !== undefined && (typeof override !== 'object' || override === null))
    throw optionTypeError(
      SCOPE,
      option,
      'an object like { status, message, body, headers }',
      override,
    );
  // The challenge goes first so that headers the app set in its override win.
  const headers =
    challenge === undefined
      ? override?.headers
      : { 'www-authenticate': challenge, ...override?.headers };
  return prepareErrorResponse(kind, { ...override, headers }, SCOPE, option, responseType);
}

/** Every refusal's response, validated and serialised once. */
export function prepareRefusals(
  responses: JwtResponses,
  scopes: readonly string[],
): Readonly<Record<Refusal, PreparedResponse>> {
  assertKnownOptions(`${SCOPE}.responses`, responses, [
    'unauthorized',
    'forbidden',
    'keySetUnavailable',
  ]);
  const out: Partial<Record<Refusal, PreparedResponse>> = {
    missing: prepare(
      'unauthorized',
      responses.unauthorized,
      'responses.unauthorized',
      'UNAUTHORIZED',
      'Bearer',
    ),
    scope: prepare(
      'forbidden',
      responses.forbidden,
      'responses.forbidden',
      'ACCESS_DENIED',
      insufficientScope(scopes),
    ),
    keySet: prepare(
      'internalError',
      responses.keySetUnavailable,
      'responses.keySetUnavailable',
      'AUTHORIZER_CONFIGURATION_ERROR',
      undefined,
    ),
  };
  for (const [reason, [description, responseType]] of Object.entries(INVALID_TOKEN_REASONS)) {
    out[reason as Refusal] = prepare(
      'unauthorized',
      responses.unauthorized,
      'responses.unauthorized',
      responseType,
      `Bearer error="invalid_token", error_description="${description}"`,
    );
  }
  return Object.freeze(out as Record<Refusal, PreparedResponse>);
}

/** The refusal for an error thrown by jsonwebtoken (or the EdDSA check, which throws the same classes). */
export function refusalOf(err: unknown): Refusal {
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TokenExpiredError') return 'expired';
  if (name === 'NotBeforeError') return 'notYetValid';
  const message = String((err as { message?: unknown } | null)?.message ?? '');
  if (message === 'invalid signature') return 'signature';
  if (message === 'invalid algorithm') return 'algorithm';
  if (message.startsWith('jwt audience invalid')) return 'audience';
  if (message.startsWith('jwt issuer invalid')) return 'issuer';
  if (message === 'jwt malformed' || message === 'invalid token') return 'malformed';
  return 'invalid';
}
