/** `gateway.authorizer(fn)`: API Gateway's Lambda (custom) authorizer, with its result cache. */

import { createMiddleware } from '../../adapters/universal.js';
import { sendPrepared } from '../../core/errors.js';
import type { Exchange, Next } from '../../core/exchange.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import { resolvedPath, stagePath } from '../resource-policy/paths.js';
import { buildEvent, methodArn, requestPath } from './event.js';
import { identityKey } from './identity.js';
import {
  type AuthorizerConfig,
  type AuthorizerOptions,
  resolveAuthorizerOptions,
} from './options.js';
import { type Decision, evaluate, type Verdict } from './policy.js';
import { AuthorizerResults, type Outcome } from './results.js';
import type { AuthorizerFunction } from './types.js';

/** The middleware, with a way to forget cached results. */
export interface AuthorizerControls {
  /** Drops every cached result: the next request of each caller calls `fn` again. */
  clearCache(): void;
}

export type AuthorizerMiddleware = GatewayMiddleware & AuthorizerControls;

/**
 * Admits a request only when `fn` says so, as API Gateway's Lambda authorizer: `fn(event)` gets
 * API Gateway's REQUEST (or TOKEN) event and answers `{ principalId, allow }` or a real Lambda
 * authorizer's IAM policy, which is matched against each request's method and path (an explicit
 * Deny wins). Results are cached per identity (the `identitySource` values) for `ttl` seconds, and
 * concurrent requests of one caller share one call. On success `principal: { id, context, via:
 * 'authorizer' }` is on the gateway context.
 *
 * 401 `Unauthorized`: identity missing, or `fn` threw `Error('Unauthorized')`. 403: a Deny, or no
 * Allow for this method and path. 500 `Internal server error`: `fn` threw anything else, answered
 * garbage, or took more than `timeoutMs`.
 *
 * @example
 * app.use(gateway.authorizer(async (event) => {
 *   const user = await sessions.lookup(event.headers.authorization);
 *   if (user === undefined) throw new Error('Unauthorized');
 *   return { principalId: user.id, allow: true, context: { plan: user.plan } };
 * }));
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
 */
export function authorizer(
  fn: AuthorizerFunction,
  options: AuthorizerOptions = {},
): AuthorizerMiddleware {
  const config = resolveAuthorizerOptions(fn, options);
  const results = new AuthorizerResults(config);

  return createMiddleware(
    'authorizer',
    function authorizer(ex, next) {
      const key = identityKey(ex, config.sources);
      if (
        key === undefined ||
        (config.tokenPattern !== undefined && !config.tokenPattern.test(key))
      )
        return sendPrepared(ex, config.responses.unauthorized);
      const cached = results.cached(key);
      if (cached !== undefined) return apply(ex, next, config, cached);
      return results
        .decide(key, () =>
          buildEvent(ex, config, methodArn(config, ex.method, arnPath(ex, config))),
        )
        .then((outcome) => settle(ex, next, config, outcome));
    },
    { clearCache: () => results.clear() },
  ) as AuthorizerMiddleware;
}

function settle(
  ex: Exchange,
  next: Next,
  config: AuthorizerConfig,
  outcome: Outcome,
): void | PromiseLike<void> {
  if (outcome === 'unauthorized') return sendPrepared(ex, config.responses.unauthorized);
  if (outcome === 'failure') return sendPrepared(ex, config.responses.failure);
  if (outcome === 'malformed') return sendPrepared(ex, config.responses.malformed);
  return apply(ex, next, config, outcome);
}

/**
 * The path in the method ARN: the request's, without the `/{stage}` segment `gateway.openapi()`
 * mounts a stage under (API Gateway's ARN names the stage once, before the method).
 */
function arnPath(ex: Exchange, config: AuthorizerConfig): string {
  return stagePath(requestPath(ex), ex.gateway.stage, !config.routing.caseSensitive);
}

/**
 * A policy's verdict for this request's own method and path, in the two spellings that can reach
 * a handler (as `resourcePolicy` matches them): the path as the router matches it, and as an
 * upstream resolves it (`/pets/%2e%2e/admin` is the proxy's `/admin`). A Deny of either refuses,
 * an Allow must hold for both; a path that cannot be resolved (not UTF-8, or climbing above the
 * root) is covered by any Deny and admitted by no Allow.
 */
function policyVerdict(ex: Exchange, config: AuthorizerConfig, decision: Decision): Verdict {
  const path = arnPath(ex, config);
  const asRouted = verdictAt(ex.method, path, config, decision);
  const resolved = resolvedPath(path);
  if (resolved === path || asRouted === 'explicitDeny') return asRouted;
  if (resolved === undefined) return decision.denies.length > 0 ? 'explicitDeny' : 'implicitDeny';
  const asResolved = verdictAt(ex.method, resolved, config, decision);
  if (asResolved === 'explicitDeny') return asResolved;
  return asRouted === 'allow' && asResolved === 'allow' ? 'allow' : 'implicitDeny';
}

/** A policy's verdict for `method` on `path`. */
function verdictAt(
  method: string,
  path: string,
  config: AuthorizerConfig,
  decision: Decision,
): Verdict {
  // A HEAD request is served by the GET route when it has none of its own (RFC 9110 §9.3.2):
  // the GET resource's Deny must stop it too.
  const alsoGet = method === 'HEAD' ? methodArn(config, 'GET', path) : undefined;
  return evaluate(decision, methodArn(config, method, path), alsoGet);
}

/** Evaluates a decision for this request, then admits or refuses it. */
function apply(
  ex: Exchange,
  next: Next,
  config: AuthorizerConfig,
  decision: Decision,
): void | PromiseLike<void> {
  // The simple form answers for every route: no ARN to build.
  const verdict =
    decision.allowAll === undefined
      ? policyVerdict(ex, config, decision)
      : decision.allowAll
        ? 'allow'
        : 'explicitDeny';
  if (verdict === 'explicitDeny') return sendPrepared(ex, config.responses.accessDenied);
  if (verdict === 'implicitDeny') return sendPrepared(ex, config.responses.implicitDeny);
  const gateway = ex.gateway;
  gateway.principal = decision.principal;
  if (decision.usageIdentifierKey !== undefined)
    gateway.authorizerApiKey = decision.usageIdentifierKey;
  return next();
}
