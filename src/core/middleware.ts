/**
 * The public shape of a portcullis middleware: one function that Express calls as
 * `(req, res, next)` and Koa as `(ctx, next)`. Structural types only, so that the neutral entry
 * never needs express's or koa's type packages.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CoreHandler } from './exchange.js';

/** What portcullis needs of a Koa context (any Koa 2/3 `ParameterizedContext` has it). */
export interface KoaContextLike {
  req: IncomingMessage;
  res: ServerResponse;
  state: object;
  path: string;
  originalUrl: string;
  ip: string;
  status: number;
  body: unknown;
}

/** Express's `next`. */
export type ExpressNext = (err?: unknown) => void;

/** A middleware usable as is by `app.use()` / `app.get()` in Express 4/5 and by `app.use()` in Koa 2/3. */
export interface GatewayMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: ExpressNext): void;
  (ctx: KoaContextLike, next: () => Promise<unknown>): Promise<void>;
}

/**
 * The request object handed to user callbacks (`origin(origin, req)`, `key(req)`...): Express's
 * `req` or Koa's `ctx`. The framework entries (`portcullis/express`, `portcullis/koa`) narrow it.
 */
// biome-ignore lint/suspicious/noExplicitAny: the neutral entry cannot name either framework's type.
export type AnyRequest = any;

/**
 * Where every portcullis middleware keeps the core handler it wraps, so that `pipeline()` can
 * compose handlers directly (one dispatch per request) instead of nesting framework middlewares.
 */
export const kCoreHandler: unique symbol = Symbol.for('portcullis.coreHandler');

/** The core handler of a portcullis middleware, or undefined for any other function. */
export function coreHandlerOf(value: unknown): CoreHandler | undefined {
  if (typeof value !== 'function') return undefined;
  const handler = (value as { [kCoreHandler]?: unknown })[kCoreHandler];
  return typeof handler === 'function' ? (handler as CoreHandler) : undefined;
}
