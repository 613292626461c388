/** `gateway.pipeline()`: the pieces as one middleware, in API Gateway's fixed order. */

import { createMiddleware } from '../../adapters/universal.js';
import type { CoreHandler } from '../../core/exchange.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import type { AuthorizerMiddleware } from '../authorizer/index.js';
import type { CacheMiddleware } from '../cache/index.js';
import type { ProxyMiddleware } from '../proxy/index.js';
import type { UsagePlansMiddleware } from '../usage-plans/index.js';
import { aroundChargeOf } from '../usage-plans/usage-plans.js';
import { compose } from './compose.js';
import type { PieceName, PipelineOptions } from './options.js';
import { type Piece, resolvePieces } from './pieces.js';

/** The pipeline's built pieces by name, for their management methods (`createKey`, `invalidate`). */
export interface PipelinePieces {
  readonly cors?: GatewayMiddleware;
  readonly ipFilter?: GatewayMiddleware;
  readonly clientCert?: GatewayMiddleware;
  readonly jwt?: GatewayMiddleware;
  readonly authorizer?: AuthorizerMiddleware;
  readonly usagePlans?: UsagePlansMiddleware;
  readonly throttle?: GatewayMiddleware;
  readonly cache?: CacheMiddleware;
  readonly proxy?: ProxyMiddleware;
}

export interface PipelineExtras {
  readonly pieces: PipelinePieces;
}

export type PipelineMiddleware = GatewayMiddleware & PipelineExtras;

/**
 * The gateway as one middleware, in API Gateway's order: cors → ipFilter → clientCert → jwt →
 * authorizer → usagePlans → throttle → cache → proxy. Each key takes the options of the single
 * middleware (or the middleware already built); absent keys are skipped. One exchange and one
 * dispatch per request; a piece's refusal ends the pass with its response, CORS headers included.
 *
 * With both `usagePlans` and `throttle`, the key is checked first (403), then the stage
 * throttle, then the key's plan throttle and quota: a request the stage throttle refuses is
 * never counted against the key's quota (throttle before quota, as API Gateway).
 *
 * @example
 * app.use(gateway.pipeline({
 *   cors: { origin: ['https://app.example.com'] },
 *   usagePlans: { plans, keys },
 *   throttle: { rate: 100, burst: 200 },
 *   cache: 300,
 *   proxy: 'http://127.0.0.1:9000',
 * }));
 */
export function pipeline(options: PipelineOptions): PipelineMiddleware {
  const pieces = resolvePieces(options);
  const handler = pieces.length === 0 ? passThrough : compose(handlersOf(pieces));
  const byName: Partial<Record<PieceName, GatewayMiddleware>> = {};
  for (const piece of pieces) byName[piece.name] = piece.middleware;
  // Each piece was built by its own factory (or checked to be of its kind by name).
  const built = Object.freeze(byName) as PipelinePieces;
  return createMiddleware('pipeline', handler, { pieces: built });
}

const passThrough: CoreHandler = (_ex, next) => next();

/** The handlers to compose: usage plans wraps the stage throttle when both are there. */
function handlersOf(pieces: readonly Piece[]): CoreHandler[] {
  const handlers: CoreHandler[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    const following = pieces[i + 1];
    const around = piece.name === 'usagePlans' ? aroundChargeOf(piece.middleware) : undefined;
    if (around !== undefined && following?.name === 'throttle') {
      handlers.push(around(following.handler));
      i++;
    } else {
      handlers.push(piece.handler);
    }
  }
  return handlers;
}
