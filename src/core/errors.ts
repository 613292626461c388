/** The gateway's own responses (400, 403, 429, 401, 502, 504): JSON bodies built once at start-up. */

import type { GatewayErrorInfo } from './context.js';
import type { Exchange } from './exchange.js';
import { assertNumber, optionTypeError } from './validate.js';

/** The responses the gateway itself may send, with their defaults (DESIGN.md's table). */
export const GATEWAY_RESPONSES = {
  badRequest: { status: 400, message: 'Bad Request' },
  forbidden: { status: 403, message: 'Forbidden' },
  tooManyRequests: { status: 429, message: 'Too Many Requests' },
  limitExceeded: { status: 429, message: 'Limit Exceeded' },
  unauthorized: { status: 401, message: 'Unauthorized' },
  accessDenied: {
    status: 403,
    message: 'User is not authorized to access this resource with an explicit deny',
  },
  internalError: { status: 500, message: 'Internal server error' },
  missingAuthenticationToken: { status: 403, message: 'Missing Authentication Token' },
  badRequestBody: { status: 400, message: 'Invalid request body' },
  badRequestParameters: { status: 400, message: 'Missing required request parameters' },
  requestTooLarge: { status: 413, message: 'Request Too Long' },
  unsupportedMediaType: { status: 415, message: 'Unsupported Media Type' },
  integrationFailure: { status: 502, message: 'Internal server error' },
  badGateway: { status: 502, message: 'Bad Gateway' },
  timeout: { status: 504, message: 'Endpoint request timed out' },
} as const satisfies Record<string, { status: number; message: string }>;

/**
 * API Gateway's gateway response type for each kind, recorded on the context
 * (`gateway.error.responseType`) when the response is sent. A middleware whose refusal means
 * something more precise passes its own (`INVALID_API_KEY`, `QUOTA_EXCEEDED`, ...).
 */
export const DEFAULT_RESPONSE_TYPES: Readonly<Record<GatewayResponseKind, string>> = Object.freeze({
  badRequest: 'BAD_REQUEST_PARAMETERS',
  forbidden: 'ACCESS_DENIED',
  tooManyRequests: 'THROTTLED',
  limitExceeded: 'QUOTA_EXCEEDED',
  unauthorized: 'UNAUTHORIZED',
  accessDenied: 'ACCESS_DENIED',
  internalError: 'AUTHORIZER_FAILURE',
  missingAuthenticationToken: 'MISSING_AUTHENTICATION_TOKEN',
  badRequestBody: 'BAD_REQUEST_BODY',
  badRequestParameters: 'BAD_REQUEST_PARAMETERS',
  requestTooLarge: 'REQUEST_TOO_LARGE',
  unsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  integrationFailure: 'INTEGRATION_FAILURE',
  badGateway: 'INTEGRATION_FAILURE',
  timeout: 'INTEGRATION_TIMEOUT',
});

export type GatewayResponseKind = keyof typeof GATEWAY_RESPONSES;

/**
 * Replaces one of the gateway's own responses. Every field is optional; what is left out
 * keeps its default.
 * @example { status: 503, message: 'Slow down' }
 * @example { body: { error: { code: 'THROTTLED' } } }
 */
export interface ErrorResponseOptions {
  /** HTTP status, 100–599. */
  status?: number;
  /** Goes into the default body `{"message": ...}`. */
  message?: string;
  /** Replaces the whole body: an object or array is sent as JSON, a string as is (still JSON content type). */
  body?: unknown;
  /** Extra response headers. */
  headers?: Readonly<Record<string, string>>;
}

/** A response ready to send: serialised once, replayed for every request. */
export interface PreparedResponse {
  readonly status: number;
  readonly body: Buffer;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Recorded on the context as `gateway.error` when sent, for access logs and metrics. */
  readonly error: GatewayErrorInfo;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Builds the response for `kind`, applying the caller's override; throws naming the option.
 * `responseType` names the refusal in access logs and metrics (default: the kind's own).
 */
export function prepareErrorResponse(
  kind: GatewayResponseKind,
  override: ErrorResponseOptions | undefined,
  scope: string,
  option: string,
  responseType: string = DEFAULT_RESPONSE_TYPES[kind],
): PreparedResponse {
  const defaults = GATEWAY_RESPONSES[kind];
  if (override !== undefined && (typeof override !== 'object' || override === null)) {
    throw optionTypeError(
      scope,
      option,
      'an object like { status, message, body, headers }',
      override,
    );
  }
  const status = override?.status ?? defaults.status;
  assertNumber(scope, `${option}.status`, status, {
    min: 100,
    max: 599,
    integer: true,
    expected: 'an HTTP status from 100 to 599',
  });
  const message = override?.message ?? defaults.message;
  if (typeof message !== 'string')
    throw optionTypeError(scope, `${option}.message`, 'a string', message);
  const body = override?.body === undefined ? { message } : override.body;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Array<readonly [string, string]> = [['content-type', JSON_CONTENT_TYPE]];
  for (const [name, value] of Object.entries(override?.headers ?? {})) {
    if (typeof value !== 'string')
      throw optionTypeError(scope, `${option}.headers.${name}`, 'a string', value);
    headers.push([name.toLowerCase(), value]);
  }
  return Object.freeze({
    status,
    body: Buffer.from(text, 'utf8'),
    headers: Object.freeze(headers),
    error: Object.freeze({ responseType, message }),
  });
}

/** Default responses, prepared once for middlewares that take no override. */
export const DEFAULT_ERROR_RESPONSES: Readonly<Record<GatewayResponseKind, PreparedResponse>> =
  Object.freeze(
    Object.fromEntries(
      Object.keys(GATEWAY_RESPONSES).map((kind) => [
        kind,
        prepareErrorResponse(kind as GatewayResponseKind, undefined, 'core', kind),
      ]),
    ) as Record<GatewayResponseKind, PreparedResponse>,
  );

/**
 * Sends a prepared gateway response. `extra` carries per-request headers such as
 * `Retry-After`. Headers already set on the response (CORS, rate-limit fields) are kept.
 */
export function sendPrepared(
  ex: Exchange,
  response: PreparedResponse,
  extra?: ReadonlyArray<readonly [string, string]>,
): void {
  ex.gateway.error = response.error;
  for (const [name, value] of response.headers) ex.setHeader(name, value);
  if (extra !== undefined) for (const [name, value] of extra) ex.setHeader(name, value);
  const overrides = (ex as OverridableExchange)[kGatewayResponses];
  if (overrides === undefined) ex.respond(response.status, response.body);
  else respondOverridden(ex, overrides, response.error, response.status, response.body);
}

/**
 * Sends one of the gateway's responses whose message is only known per request
 * (`Missing required request parameters: [id]`): the kind's status and response type, the
 * default JSON body with `message`. Headers already set on the response are kept.
 */
export function sendGatewayError(
  ex: Exchange,
  kind: GatewayResponseKind,
  message: string = GATEWAY_RESPONSES[kind].message,
  responseType: string = DEFAULT_RESPONSE_TYPES[kind],
): void {
  const error = { responseType, message };
  const status = GATEWAY_RESPONSES[kind].status;
  ex.gateway.error = error;
  ex.setHeader('content-type', JSON_CONTENT_TYPE);
  const body = JSON.stringify({ message });
  const overrides = (ex as OverridableExchange)[kGatewayResponses];
  if (overrides === undefined) ex.respond(status, body);
  else respondOverridden(ex, overrides, error, status, body);
}

/**
 * A response that replaces one of the gateway's own for a request (API Gateway's gateway
 * responses, `x-amazon-apigateway-gateway-responses`). `body` undefined keeps the refusal's own
 * body (a gateway response with a status or headers but no template).
 */
export interface GatewayResponseOverride {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer | string | undefined;
}

/** Replaces the gateway's refusals for the requests it is installed on (`useGatewayResponseOverrides`). */
export interface GatewayResponseOverrides {
  /**
   * The replacement for the refusal `error` the gateway is about to send with `status`, or
   * undefined to send the refusal unchanged. Called with the refusal's own headers already set.
   */
  responseFor(
    ex: Exchange,
    error: GatewayErrorInfo,
    status: number,
  ): GatewayResponseOverride | undefined;
}

/**
 * Where an exchange carries its overrides: a symbol-keyed property, set only on the exchanges of
 * requests that have overrides. A field on `GatewayContext` would be visible to users (and
 * logged by whoever prints the context); a WeakMap would add an ephemeron-table insertion per
 * request, which the collector then has to trace. Requests without overrides never get the
 * property: they pay nothing on the way in, and a refusal pays one missing-property read.
 */
const kGatewayResponses = Symbol('portcullis.gatewayResponses');

interface OverridableExchange extends Exchange {
  [kGatewayResponses]?: GatewayResponseOverrides;
}

/**
 * Makes the gateway's refusals on this request go through `overrides` (consulted by
 * `sendPrepared` and `sendGatewayError`). `ex.gateway.error` still records the refusal as the
 * piece named it.
 */
export function useGatewayResponseOverrides(
  ex: Exchange,
  overrides: GatewayResponseOverrides,
): void {
  (ex as OverridableExchange)[kGatewayResponses] = overrides;
}

/**
 * Sends the refusal through the request's overrides: the override's status, headers (set over the
 * refusal's own, so its content type wins) and body, or the refusal unchanged when none applies.
 */
function respondOverridden(
  ex: Exchange,
  overrides: GatewayResponseOverrides,
  error: GatewayErrorInfo,
  status: number,
  ownBody: Buffer | string,
): void {
  const override = overrides.responseFor(ex, error, status);
  if (override === undefined) {
    ex.respond(status, ownBody);
    return;
  }
  for (const [name, value] of override.headers) ex.setHeader(name, value);
  ex.respond(override.status, override.body ?? ownBody);
}
