/** `gateway.jwt()`: a JWT authorizer, as API Gateway's JWT authorizers (and RFC 6750 bearer tokens). */

import { LRUCache } from 'lru-cache';
import { createMiddleware } from '../../adapters/universal.js';
import { sendPrepared } from '../../core/errors.js';
import type { Exchange, Next } from '../../core/exchange.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import { type JwtConfig, resolveJwtOptions } from './options.js';
import type { Refusal } from './refusals.js';
import type { JwtOptions } from './types.js';
import { type Verified, verifyToken } from './verify.js';

/**
 * Admits requests that carry a valid JSON Web Token and puts who sent it on the context
 * (`principal: { id: sub, claims, scopes, via: 'jwt' }`); refuses the others with 401
 * `{"message":"Unauthorized"}` and an RFC 6750 `WWW-Authenticate` challenge, or 403 when the
 * token lacks every required scope. Tokens are verified with jsonwebtoken (EdDSA with node:crypto),
 * keys come from `secret`, `publicKey` or an issuer's key set (`jwksUri`, fetched with jwks-rsa).
 *
 * @example
 * app.use(gateway.jwt({ jwksUri: 'https://issuer.example.com/.well-known/jwks.json',
 *   algorithms: ['RS256'], issuer: 'https://issuer.example.com', audience: 'orders-api' }));
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function jwt(options: JwtOptions): GatewayMiddleware {
  const config = resolveJwtOptions(options);
  const cache =
    config.cacheSize > 0 ? new LRUCache<string, Verified>({ max: config.cacheSize }) : undefined;

  return createMiddleware('jwt', function jwt(ex, next) {
    const token = config.readToken(ex);
    if (typeof token === 'object') return token.then((t) => authenticate(ex, next, t));
    return authenticate(ex, next, token);
  });

  function authenticate(
    ex: Exchange,
    next: Next,
    token: string | undefined,
  ): void | PromiseLike<void> {
    if (token === undefined)
      return config.credentialsRequired ? refuse(ex, config, 'missing') : next();
    // Refused before anything reads it: a header bomb costs a length check.
    if (token.length > config.maxTokenLength) return refuse(ex, config, 'tooLong');
    const now = config.clock.now();
    const known = cache?.get(token);
    if (known !== undefined) {
      if (now >= known.validFrom && now < known.validUntil) return admit(ex, next, config, known);
      // Expired (or the clock went back): verified again below, and answered as that says.
      cache?.delete(token);
    }
    const outcome = verifyToken(token, config.verifier, now);
    if (typeof outcome === 'object' && 'then' in outcome)
      return outcome.then((settled) => settle(ex, next, token, settled));
    return settle(ex, next, token, outcome);
  }

  function settle(ex: Exchange, next: Next, token: string, outcome: Verified | Refusal) {
    if (typeof outcome === 'string') return refuse(ex, config, outcome);
    cache?.set(token, outcome);
    return admit(ex, next, config, outcome);
  }
}

function admit(
  ex: Exchange,
  next: Next,
  config: JwtConfig,
  verified: Verified,
): void | PromiseLike<void> {
  if (!verified.hasScope) return refuse(ex, config, 'scope');
  ex.gateway.principal = verified.principal;
  return next();
}

function refuse(ex: Exchange, config: JwtConfig, reason: Refusal): void {
  sendPrepared(ex, config.refusals[reason]);
}
