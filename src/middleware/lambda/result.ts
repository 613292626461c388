/**
 * A handler's result read as API Gateway reads it: status, headers (single and multi-value,
 * merged), 2.0's cookies, the body (base64-decoded when it says so). Anything API Gateway would
 * call a "malformed Lambda proxy response" is refused with `MalformedResultError`.
 */

import { REQUEST_ID_HEADER } from '../../core/context.js';
import { HOP_BY_HOP_HEADERS } from '../../core/headers.js';
import { HTTP_TOKEN } from '../../core/validate.js';

/** The response to send. */
export interface MappedResult {
  readonly status: number;
  /** Lower-case names; a list is sent as one field per value (`Set-Cookie`). */
  readonly headers: ReadonlyArray<readonly [string, string | string[]]>;
  readonly body: Buffer;
}

/** The result is not one API Gateway accepts: 502. */
export class MalformedResultError extends Error {
  constructor(reason: string) {
    super(`malformed Lambda proxy response: ${reason}`);
    this.name = 'MalformedResultError';
  }
}

const RESULT_KEYS_V1 = new Set([
  'statusCode',
  'headers',
  'multiValueHeaders',
  'body',
  'isBase64Encoded',
]);
const RESULT_KEYS_V2 = new Set([...RESULT_KEYS_V1, 'cookies']);

/**
 * Never taken from a result: hop-by-hop fields and `Content-Length` (the gateway frames the
 * body it sends, whatever the handler claimed), and the request id (the gateway's is echoed).
 */
const NOT_COPIED = new Set([...HOP_BY_HOP_HEADERS, 'content-length', REQUEST_ID_HEADER]);

/**
 * RFC 9110 §5.5: no CR, LF or NUL in a field value (they would split or end the header), nor any
 * other control character or anything beyond Latin-1, which Node refuses to write (its
 * `ERR_INVALID_CHAR` would reach the app's error handling mid-response instead of this 502).
 */
const UNSAFE_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** API Gateway's default when the result names no type. */
const DEFAULT_CONTENT_TYPE = 'application/json';

/** Maps a handler's result to the response, or throws `MalformedResultError`. */
export function mapResult(value: unknown, version: '1.0' | '2.0'): MappedResult {
  if (version === '2.0' && !isStructured(value)) return inferredResult(value);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new MalformedResultError(`expected an object with statusCode, got ${typeName(value)}`);
  const result = value as Record<string, unknown>;
  const allowed = version === '1.0' ? RESULT_KEYS_V1 : RESULT_KEYS_V2;
  for (const key of Object.keys(result)) {
    // API Gateway refuses a result with fields it does not know (a typo such as `statuscode`).
    if (!allowed.has(key)) throw new MalformedResultError(`unexpected field "${key}"`);
  }
  const status = statusOf(result.statusCode);
  const headers = mergedHeaders(result.headers, result.multiValueHeaders);
  if (version === '2.0' && result.cookies !== undefined) addCookies(headers, result.cookies);
  if (!headers.has('content-type')) headers.set('content-type', [DEFAULT_CONTENT_TYPE]);
  return {
    status,
    headers: [...headers].map(([name, values]) => [
      name,
      values.length === 1 ? values[0]! : values,
    ]),
    body: bodyOf(result.body, result.isBase64Encoded),
  };
}

/** 2.0: a result with a `statusCode` is read field by field; anything else is the JSON body. */
function isStructured(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && 'statusCode' in value
  );
}

/**
 * HTTP APIs' rule for a result without `statusCode`: 200, `application/json`, the result
 * itself (serialised as Lambda returns it) as the body.
 */
function inferredResult(value: unknown): MappedResult {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new MalformedResultError(`the result cannot be serialised (${(error as Error).message})`);
  }
  return {
    status: 200,
    headers: [['content-type', DEFAULT_CONTENT_TYPE]],
    body: Buffer.from(text ?? 'null', 'utf8'),
  };
}

function statusOf(value: unknown): number {
  // API Gateway takes the status as a number or its decimal text.
  const status = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599)
    throw new MalformedResultError(
      `statusCode must be an HTTP status from 200 to 599, got ${typeName(value)}`,
    );
  return status;
}

/**
 * `headers` and `multiValueHeaders` merged as API Gateway merges them: a name in both keeps only
 * its `multiValueHeaders` values. Names compare case-insensitively.
 */
function mergedHeaders(single: unknown, multi: unknown): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const [name, value] of entriesOf(single, 'headers')) {
    if (value === null || value === undefined) continue;
    headers.set(headerName(name), [headerValue(name, value)]);
  }
  const replaced = new Set<string>();
  for (const [name, values] of entriesOf(multi, 'multiValueHeaders')) {
    if (values === null || values === undefined) continue;
    if (!Array.isArray(values))
      throw new MalformedResultError(`multiValueHeaders.${name} must be an array`);
    const lower = headerName(name);
    const list = replaced.has(lower) ? (headers.get(lower) ?? []) : [];
    for (const item of values) list.push(headerValue(name, item));
    replaced.add(lower);
    headers.set(lower, list);
  }
  for (const name of NOT_COPIED) headers.delete(name);
  return headers;
}

function entriesOf(value: unknown, field: string): Array<[string, unknown]> {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value))
    throw new MalformedResultError(`${field} must be an object`);
  return Object.entries(value);
}

function headerName(name: string): string {
  if (!HTTP_TOKEN.test(name))
    throw new MalformedResultError(`invalid header name ${JSON.stringify(name)}`);
  return name.toLowerCase();
}

/** Strings, numbers and booleans, as API Gateway accepts them; never a value that could split the header. */
function headerValue(name: string, value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
    throw new MalformedResultError(`header ${name} must be a string, got ${typeName(value)}`);
  const text = String(value);
  if (UNSAFE_VALUE.test(text))
    throw new MalformedResultError(
      /[\r\n\0]/.test(text)
        ? `header ${name} contains CR, LF or NUL`
        : `header ${name} contains a control character or one beyond Latin-1`,
    );
  return text;
}

/** 2.0's `cookies`: each one a `Set-Cookie` field, after any the headers set. */
function addCookies(headers: Map<string, string[]>, cookies: unknown): void {
  if (!Array.isArray(cookies))
    throw new MalformedResultError('cookies must be an array of strings');
  const list = headers.get('set-cookie') ?? [];
  for (const cookie of cookies) list.push(headerValue('set-cookie', cookie));
  if (list.length > 0) headers.set('set-cookie', list);
}

function bodyOf(body: unknown, base64: unknown): Buffer {
  if (base64 !== undefined && base64 !== null && typeof base64 !== 'boolean')
    throw new MalformedResultError(`isBase64Encoded must be a boolean, got ${typeName(base64)}`);
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string')
    throw new MalformedResultError(`body must be a string, got ${typeName(body)}`);
  if (base64 !== true) return Buffer.from(body, 'utf8');
  // Node's decoder skips what is not base64; a handler's mistake must not become garbage bytes.
  const compact = body.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact))
    throw new MalformedResultError('isBase64Encoded is true but the body is not base64');
  return Buffer.from(compact, 'base64');
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'an object' : typeof value;
}
