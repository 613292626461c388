/** The event handed to the authorizer function, and the request's `methodArn`. */

import type { Exchange } from '../../core/exchange.js';
import { originForm, pathEnd } from '../../core/target.js';
import { unslashedPath } from '../usage-plans/routes.js';
import { queryParameters } from './identity.js';
import type { AuthorizerConfig } from './options.js';
import type { AuthorizerEvent } from './types.js';

/**
 * The request path as the client sent it (whatever the mounting), as the router reads it: Express
 * and Koa (parseurl) route `/admin#x` and the absolute form `http://host/admin` to `/admin`, so
 * the policy must see `/admin` too, or a Deny on it would not apply.
 */
export function requestPath(ex: Exchange): string {
  const target = originForm(ex.originalUrl);
  return target.slice(0, pathEnd(target));
}

/**
 * `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}` for `method`. The path
 * is the one the router compares (one trailing `/` dropped unless `strictRouting`), so that a
 * policy for `/pets` also covers `/pets/`, which the router serves from the same handler.
 */
export function methodArn(config: AuthorizerConfig, method: string, path: string): string {
  // Case is kept (the event shows the client's path); matching folds it when routing ignores case.
  return `${config.arnPrefix}${method}${unslashedPath(path, config.routing)}`;
}

/** Builds the event API Gateway would send (only on a cache miss: a hit builds nothing). */
export function buildEvent(ex: Exchange, config: AuthorizerConfig, arn: string): AuthorizerEvent {
  if (config.type === 'TOKEN') {
    const header = config.sources[0]?.name ?? 'authorization';
    return { type: 'TOKEN', methodArn: arn, authorizationToken: ex.header(header) ?? '' };
  }
  const path = requestPath(ex);
  const sourceIp = ex.ip;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ex.req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const [, , , , accountId = '', apiStage = ''] = config.arnPrefix.split(':');
  const [apiId = '', stage = ''] = apiStage.split('/');
  return {
    type: 'REQUEST',
    methodArn: arn,
    resource: path,
    path,
    httpMethod: ex.method,
    headers,
    queryStringParameters: queryParameters(ex.originalUrl),
    identity: { sourceIp },
    requestContext: {
      accountId,
      apiId,
      stage,
      httpMethod: ex.method,
      path,
      requestId: ex.gateway.requestId,
      identity: { sourceIp },
    },
  };
}
