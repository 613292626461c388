/**
 * Types `req.gateway` for Express apps. A global declaration merges into Express's own
 * `Express.Request` when @types/express is present and is inert otherwise, so the neutral entry
 * still needs no framework types. (Koa's `ctx.state` is untyped by default.)
 */

import type { GatewayContext } from './core/context.js';

declare global {
  namespace Express {
    interface Request {
      /** What portcullis learned about this request (request id, API key, cache and throttle results). */
      gateway?: GatewayContext;
    }
  }
}
