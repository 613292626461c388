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

/** Who the caller is, once `jwt` or `authorizer` accepted them. */
export interface Principal {
  /** JWT `sub`, or the authorizer's `principalId`. */
  readonly id: string;
  /** Which middleware established it. */
  readonly via: 'jwt' | 'authorizer';
  /** The verified token's claims (`jwt`). */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** The token's scopes, from `scope` (space-separated) or `scp` (`jwt`). */
  readonly scopes?: readonly string[];
  /** The authorizer's `context` object (`authorizer`). */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** The verified client certificate of a mutual-TLS request, as API Gateway's `$context.identity.clientCert`. */
export interface ClientCertInfo {
  readonly subjectDN: string;
  readonly issuerDN: string;
  readonly serialNumber: string;
  readonly validity: { readonly notBefore: string; readonly notAfter: string };
  /** SHA-256 fingerprint, colon-separated upper-case hex as Node prints it. */
  readonly fingerprint256: string;
}

/**
 * Why the gateway itself answered (set by every refusal the gateway sends), named as API
 * Gateway's gateway response types so that access-log queries carry over.
 */
export interface GatewayErrorInfo {
  /** `THROTTLED`, `QUOTA_EXCEEDED`, `INVALID_API_KEY`, `UNAUTHORIZED`, `ACCESS_DENIED`, `INTEGRATION_FAILURE`, `INTEGRATION_TIMEOUT`, ... */
  readonly responseType: string;
  /** The message of the response's default body. */
  readonly message: string;
}

/**
 * Why an upstream call failed (set by `proxy` with its 502/504): the connection was refused or
 * the host unreachable, it was reset (or the body broken off), no answer in time, the name did
 * not resolve, the TLS handshake failed, or anything else.
 */
export type IntegrationErrorKind = 'refused' | 'reset' | 'timeout' | 'dns' | 'tls' | 'other';

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
  /** Set by `jwt` and `authorizer` once the caller is accepted. */
  principal?: Principal;
  /**
   * The API key an authorizer named for usage plans (its `usageIdentifierKey`), read by
   * `usagePlans({ keySource: 'authorizer' })`. Never logged.
   */
  authorizerApiKey?: string;
  /** Set by `clientCert` for a request with a verified client certificate. */
  clientCert?: ClientCertInfo;
  /** W3C Trace Context trace id (32 lower-case hex digits), continued from `traceparent` or new. */
  traceId?: string;
  /**
   * The stage that served the request (`gateway.openapi()` with `stages`), e.g. `'prod'`. With a
   * canary on the stage, `canary` says which of the two served it.
   */
  stage?: string;
  /** Whether the stage's canary served the request (`gateway.openapi()` stages with `canary`). */
  canary?: boolean;
  /** The stage variables in force for this request (the canary's merged over the stage's). */
  stageVariables?: Readonly<Record<string, string>>;
  /**
   * The path parameters of the matched resource (`gateway.openapi()`), decoded: `{ id: '42' }`
   * for `/pets/{id}`, `{ proxy: 'a/b' }` for `/files/{proxy+}`.
   */
  pathParameters?: Readonly<Record<string, string>>;
  /** The matched resource's template as the API defines it (`gateway.openapi()`): `/pets/{id}`. */
  resourcePath?: string;
  /** Set whenever the gateway itself sent the response (a refusal, a 5xx from the proxy). */
  error?: GatewayErrorInfo;
  /** RFC 9211 `Cache-Status` value given to this request by `cache`. */
  cache?: string;
  /** Set by `throttle`. */
  throttle?: ThrottleInfo;
  /** Status the upstream answered with (set by `proxy`). */
  integrationStatus?: number;
  /** Milliseconds spent waiting for an upstream (set by `proxy`). */
  integrationLatency?: number;
  /** Set by `proxy` when the upstream timed out: no response within `timeout`, or a body silent for `idleTimeout`. */
  integrationTimedOut?: boolean;
  /** Set by `proxy` when the upstream failed (a 502/504, or a streamed body cut short). */
  integrationError?: IntegrationErrorKind;
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
