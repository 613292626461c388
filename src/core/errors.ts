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
  ex.respond(response.status, response.body);
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
  ex.gateway.error = { responseType, message };
  ex.setHeader('content-type', JSON_CONTENT_TYPE);
  ex.respond(GATEWAY_RESPONSES[kind].status, JSON.stringify({ message }));
}
