/**
 * What a piece in front of the proxy decides for one request (an OpenAPI HTTP integration: the
 * uri with its variables filled in, API Gateway's mapped headers): the proxy forwards to that
 * path and copies those headers instead of the client's. Kept on the exchange under a symbol, so
 * that requests without one pay a single missing-property read, and the client's own request
 * (`req.url`, `req.headers`) is never changed for the rest of the app to see.
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { Exchange } from '../../core/exchange.js';

const kForward = Symbol('portcullis.proxy.forward');

export interface ForwardOverride {
  /** Path and query to forward to, under the target (still confined to its base path). */
  readonly path: string;
  /** The headers to copy upstream instead of the client's (framing stays the client's). */
  readonly headers: IncomingHttpHeaders | undefined;
}

type WithOverride = Exchange & { [kForward]?: ForwardOverride };

/** Makes the proxy forward this request as `override` says. */
export function forwardAs(ex: Exchange, override: ForwardOverride): void {
  (ex as WithOverride)[kForward] = override;
}

/** The override set for this request, if any. */
export function forwardOverrideOf(ex: Exchange): ForwardOverride | undefined {
  return (ex as WithOverride)[kForward];
}
