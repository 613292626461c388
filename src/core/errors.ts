/** The gateway's own responses (400, 403, 429, 401, 502, 504): JSON bodies built once at start-up. */

import type { Exchange } from './exchange.js';
import { assertNumber, optionTypeError } from './validate.js';

/** The responses the gateway itself may send, with their defaults (DESIGN.md's table). */
export const GATEWAY_RESPONSES = {
  badRequest: { status: 400, message: 'Bad Request' },
  forbidden: { status: 403, message: 'Forbidden' },
  tooManyRequests: { status: 429, message: 'Too Many Requests' },
  limitExceeded: { status: 429, message: 'Limit Exceeded' },
  unauthorized: { status: 401, message: 'Unauthorized' },
  badGateway: { status: 502, message: 'Bad Gateway' },
  timeout: { status: 504, message: 'Endpoint request timed out' },
} as const satisfies Record<string, { status: number; message: string }>;

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
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Builds the response for `kind`, applying the caller's override; throws naming the option. */
export function prepareErrorResponse(
  kind: GatewayResponseKind,
  override: ErrorResponseOptions | undefined,
  scope: string,
  option: string,
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
  for (const [name, value] of response.headers) ex.setHeader(name, value);
  if (extra !== undefined) for (const [name, value] of extra) ex.setHeader(name, value);
  ex.respond(response.status, response.body);
}
