/** One function for both frameworks: tells Express's `(req, res, next)` from Koa's `(ctx, next)` by its arguments. */

import type { CoreHandler } from '../core/exchange.js';
import { type GatewayMiddleware, kCoreHandler } from '../core/middleware.js';
import { toExpress } from './express.js';
import { toKoa } from './koa.js';

/**
 * Wraps a core handler so that Express and Koa can both call it. `name` becomes the function's
 * name (stack traces, `app._router` listings); `extras` (management methods such as
 * `invalidate()`) are attached to the function.
 */
export function createMiddleware<E extends object = {}>(
  name: string,
  handler: CoreHandler,
  extras?: E,
): GatewayMiddleware & E {
  const express = toExpress(handler);
  const koa = toKoa(handler);
  // Three declared parameters: Express treats four as an error handler.
  const middleware = function gatewayMiddleware(first: unknown, second: unknown, third?: unknown) {
    if (typeof third === 'function')
      return express(first as never, second as never, third as never);
    if (
      typeof second === 'function' &&
      typeof first === 'object' &&
      first !== null &&
      'res' in first
    ) {
      return koa(first as never, second as never);
    }
    throw new TypeError(
      `portcullis.${name}: call me as Express (req, res, next) or Koa (ctx, next) middleware`,
    );
  };
  Object.defineProperty(middleware, 'name', { value: name });
  Object.defineProperty(middleware, kCoreHandler, { value: handler });
  if (extras !== undefined) Object.assign(middleware, extras);
  return middleware as unknown as GatewayMiddleware & E;
}
