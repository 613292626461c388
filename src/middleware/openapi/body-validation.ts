/**
 * Request bodies against the operation's JSON schemas: which schema a media type selects, the
 * body read once (shared with the integration), and API Gateway's 400/413 answers.
 */

import type { ValidateFunction } from 'ajv';
import { sendGatewayError } from '../../core/errors.js';
import type { Exchange } from '../../core/exchange.js';
import {
  DEFAULT_BODY_LIMIT,
  mediaTypeOf,
  RequestBodyTooLargeError,
  readRequestBody,
} from '../../core/request-body.js';
import { compileBodySchema } from './body-schema.js';
import { childPointer, followRef } from './refs.js';

export interface BodyRules {
  readonly required: boolean;
  /** Validators by media type or range (`application/json`, `application/*`, `*\/*`), lower case. */
  readonly schemas: ReadonlyMap<string, ValidateFunction>;
  readonly limit: number;
  readonly pointer: string;
}

/** The body rules of a Request Body Object (or a `$ref` to one); undefined when none apply. */
export function compileBody(
  document: Record<string, unknown>,
  pointer: string,
  requestBody: unknown,
  bodyLimit: number | undefined,
): BodyRules | undefined {
  if (requestBody === undefined) return undefined;
  const found = followRef(document, requestBody, childPointer(pointer, 'requestBody'));
  const body = found.value as { required?: unknown; content?: unknown };
  const schemas = new Map<string, ValidateFunction>();
  const content = body.content;
  if (typeof content === 'object' && content !== null) {
    for (const [range, media] of Object.entries(content)) {
      const schema = (media as { schema?: unknown } | null)?.schema;
      if (schema === undefined || !isJsonRange(mediaTypeOf(range))) continue;
      const schemaAt = childPointer(found.pointer, 'content', range, 'schema');
      schemas.set(mediaTypeOf(range), compileBodySchema(document, schema, schemaAt));
    }
  }
  const required = body.required === true;
  if (!required && schemas.size === 0) return undefined;
  const limit = bodyLimit ?? DEFAULT_BODY_LIMIT;
  return { required, schemas, limit, pointer: found.pointer };
}

/**
 * JSON media types, and ranges that include them (`application/*`, `*\/*`, and API Gateway's
 * `$default` model key, which it applies "regardless of the content type").
 */
function isJsonRange(range: string): boolean {
  return isJson(range) || range === 'application/*' || range === '*/*' || range === '$default';
}

function isJson(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

/** The validator for the request's media type: exact, then `type/*`, then `*\/*` or `$default`. */
function schemaFor(rules: BodyRules, type: string): ValidateFunction | undefined {
  return (
    rules.schemas.get(type) ??
    rules.schemas.get(`${type.slice(0, type.indexOf('/'))}/*`) ??
    rules.schemas.get('*/*') ??
    rules.schemas.get('$default')
  );
}

/** Checks the body, answering the client when it fails; true when the request goes on. */
export async function bodyIsValid(
  ex: Exchange,
  rules: BodyRules,
  debug: ((message: string) => void) | undefined,
): Promise<boolean> {
  // API Gateway reads a request without Content-Type as application/json.
  const type = mediaTypeOf(ex.header('content-type') ?? 'application/json');
  const validate = isJson(type) ? schemaFor(rules, type) : undefined;
  if (validate === undefined) {
    // Unmodelled media type: only a required body's presence is checked, from the framing.
    if (!rules.required || announcesBody(ex)) return true;
    return refuseBody(ex, debug, `${rules.pointer}: a body is required`);
  }
  let bytes: Buffer;
  try {
    bytes = await readRequestBody(ex, rules.limit);
  } catch (error) {
    if (!(error instanceof RequestBodyTooLargeError)) throw error;
    debug?.(`${rules.pointer}: body larger than ${rules.limit} bytes`);
    sendGatewayError(ex, 'requestTooLarge');
    return false;
  }
  if (bytes.length === 0) {
    if (!rules.required) return true;
    return refuseBody(ex, debug, `${rules.pointer}: a body is required`);
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return refuseBody(ex, debug, `${rules.pointer}: invalid JSON: ${(error as Error).message}`);
  }
  let valid: boolean;
  try {
    valid = validate(value) as boolean;
  } catch (error) {
    // A body nested deeper than the stack, against a recursive schema: refused, not a crash.
    return refuseBody(
      ex,
      debug,
      `${rules.pointer}: validation failed: ${(error as Error).message}`,
    );
  }
  if (valid) {
    // The stream is read: a body parser mounted after the gateway gets the body from here.
    ex.keepParsedBody(value, bytes);
    return true;
  }
  const first = validate.errors?.[0];
  return refuseBody(
    ex,
    debug,
    `${rules.pointer}: body${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`,
  );
}

function refuseBody(
  ex: Exchange,
  debug: ((message: string) => void) | undefined,
  why: string,
): false {
  debug?.(why);
  sendGatewayError(ex, 'badRequestBody');
  return false;
}

/** RFC 9112 §6.3: a request has a body only when Content-Length or Transfer-Encoding says so. */
function announcesBody(ex: Exchange): boolean {
  if (ex.header('transfer-encoding') !== undefined) return true;
  const length = ex.header('content-length');
  return length !== undefined && length !== '0';
}
