/** The per-request gateway context: what the middlewares learned, readable by later ones and by handlers. */

import { randomRequestId } from './request-id.js';

/** The API key a request was admitted with (set by `usagePlans`). */
export interface ApiKeyInfo {
  readonly id: string;
  readonly plan: string;
}

/** The outcome of the last throttle decision on this request (set by `throttle`). */
export interface ThrottleInfo {
  /** The policy name, as in the `RateLimit` header. */
  readonly policy: string;
  /** Bucket capacity (`burst`). */
  readonly limit: number;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** Whether this request was admitted. */
  readonly allowed: boolean;
}

/**
 * `req.gateway` in Express, `ctx.state.gateway` in Koa. Created by the first portcullis
 * middleware a request meets and shared by all the others.
 */
export interface GatewayContext {
  /** From a valid incoming `x-request-id`, else generated; echoed in the response. */
  requestId: string;
  /** Set by `usagePlans` once a key is accepted. */
  apiKey?: ApiKeyInfo;
  /** The header `usagePlans` reads the key from when it is not `x-api-key`, so that `proxy` does not forward it. */
  apiKeyHeader?: string;
  /** Set by authorizers (later). */
  principal?: unknown;
  /** RFC 9211 `Cache-Status` value given to this request by `cache`. */
  cache?: string;
  /** Set by `throttle`. */
  throttle?: ThrottleInfo;
  /** Milliseconds spent waiting for an upstream (set by `proxy`). */
  integrationLatency?: number;
  /** Set by `proxy` when the upstream timed out: no response within `timeout`, or a body silent for `idleTimeout`. */
  integrationTimedOut?: boolean;
}

/** Header that carries the request id in and out. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * An incoming id is accepted when it is 1–128 visible characters from a conservative set,
 * so that it is safe to echo in a header and to write into logs (no spaces, quotes or
 * control characters).
 */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

/** The request id to use: the client's when valid, else a fresh UUID. */
export function resolveRequestId(incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming)) return incoming;
  return randomRequestId();
}

/** A new context for a request. */
export function createGatewayContext(
  incomingRequestId: string | string[] | undefined,
): GatewayContext {
  return { requestId: resolveRequestId(incomingRequestId) };
}
