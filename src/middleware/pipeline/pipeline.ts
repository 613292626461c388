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
  readonly resourcePolicy?: GatewayMiddleware;
  readonly ipFilter?: GatewayMiddleware;
  readonly clientCert?: GatewayMiddleware;
  readonly jwt?: GatewayMiddleware;
  readonly authorizer?: AuthorizerMiddleware;
  readonly usagePlans?: UsagePlansMiddleware;
  readonly throttle?: GatewayMiddleware;
  readonly cache?: CacheMiddleware;
  readonly proxy?: ProxyMiddleware;
  readonly lambda?: GatewayMiddleware;
}

export interface PipelineExtras {
  readonly pieces: PipelinePieces;
}

export type PipelineMiddleware = GatewayMiddleware & PipelineExtras;

/**
 * The gateway as one middleware, in API Gateway's order: cors → resourcePolicy → ipFilter →
 * clientCert → jwt → authorizer → usagePlans → throttle → cache → the integration (`proxy` or
 * `lambda`). Each key takes the options of the single
 * middleware (or the middleware already built); absent keys are skipped. One exchange and one
 * dispatch per request; a piece's refusal ends the pass with its response, CORS headers included.
 *
 * With both `usagePlans` and `throttle`, the key is checked first (403), then the stage
 * throttle, then the key's plan throttle and quota: a request the stage throttle refuses is
 * never counted against the key's quota (throttle before quota, as API Gateway). A cache hit is
 * charged like any other request (API Gateway throttles before its cache) unless
 * `chargeCacheHits: false`.
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
  const { pieces, chargeCacheHits } = resolvePieces(options);
  const handler = pieces.length === 0 ? passThrough : compose(handlersOf(pieces, chargeCacheHits));
  const byName: Partial<Record<PieceName, GatewayMiddleware>> = {};
  for (const piece of pieces) byName[piece.name] = piece.middleware;
  // Each piece was built by its own factory (or checked to be of its kind by name).
  const built = Object.freeze(byName) as PipelinePieces;
  return createMiddleware('pipeline', handler, { pieces: built });
}

const passThrough: CoreHandler = (_ex, next) => next();

/**
 * The handlers to compose, in the pipeline's order. With `chargeCacheHits: false` the cache runs
 * before the stage throttle, so that a hit is served before anything is charged. Usage plans,
 * when there, check the key and then run the pieces that come before the charge (the stage
 * throttle, and the cache when it goes first) inside `aroundCharge`, charging the plan's throttle
 * and quota only when they continue.
 */
function handlersOf(pieces: readonly Piece[], chargeCacheHits: boolean): CoreHandler[] {
  const ordered = chargeCacheHits ? pieces : cacheFirst(pieces);
  const plans = ordered.findIndex((piece) => piece.name === 'usagePlans');
  const around = plans === -1 ? undefined : aroundChargeOf(ordered[plans]!.middleware);
  const beforeCharge = new Set<PieceName>(chargeCacheHits ? ['throttle'] : ['cache', 'throttle']);
  let end = plans + 1;
  while (end < ordered.length && beforeCharge.has(ordered[end]!.name)) end++;
  if (around === undefined || end === plans + 1) return ordered.map((piece) => piece.handler);
  const inner = compose(ordered.slice(plans + 1, end).map((piece) => piece.handler));
  return [
    ...ordered.slice(0, plans).map((piece) => piece.handler),
    around(inner),
    ...ordered.slice(end).map((piece) => piece.handler),
  ];
}

/** `pieces` with the cache moved before the stage throttle. */
function cacheFirst(pieces: readonly Piece[]): readonly Piece[] {
  const throttle = pieces.findIndex((piece) => piece.name === 'throttle');
  const cache = pieces.findIndex((piece) => piece.name === 'cache');
  if (throttle === -1 || cache === -1) return pieces;
  const moved = pieces.filter((piece) => piece.name !== 'cache');
  moved.splice(throttle, 0, pieces[cache]!);
  return moved;
}
