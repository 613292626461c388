/**
 * API Gateway's request validators (`x-amazon-apigateway-request-validators`): required
 * parameters present, JSON bodies valid against the operation's schema. Everything is compiled
 * at start-up; a request pays for the checks its operation declares and nothing else.
 */

import type { ValidateFunction } from 'ajv';
import { sendGatewayError } from '../../core/errors.js';
import type { CoreHandler, Exchange, Next } from '../../core/exchange.js';
import {
  DEFAULT_BODY_LIMIT,
  mediaTypeOf,
  RequestBodyTooLargeError,
  readRequestBody,
} from '../../core/request-body.js';
import { compileBodySchema } from './body-schema.js';
import { childPointer, documentError, followRef } from './refs.js';

const VALIDATORS = 'x-amazon-apigateway-request-validators';
const VALIDATOR = 'x-amazon-apigateway-request-validator';

/** What one of `x-amazon-apigateway-request-validators` asks for. */
export interface RequestValidatorFlags {
  readonly validateRequestBody: boolean;
  readonly validateRequestParameters: boolean;
}

/**
 * The validator `operation` uses: its own `x-amazon-apigateway-request-validator`, else the
 * document's; undefined when neither names one. Throws, with the pointer of the name, when
 * `x-amazon-apigateway-request-validators` does not define it. `pointer` is the operation's.
 */
export function selectValidator(
  document: Record<string, unknown>,
  operation: Record<string, unknown>,
  pointer: string,
): RequestValidatorFlags | undefined {
  const own = operation[VALIDATOR] !== undefined;
  const name = own ? operation[VALIDATOR] : document[VALIDATOR];
  if (name === undefined) return undefined;
  const at = own ? childPointer(pointer, VALIDATOR) : `/${VALIDATOR}`;
  const validators = document[VALIDATORS];
  const flags =
    typeof name === 'string' && typeof validators === 'object' && validators !== null
      ? Object.hasOwn(validators, name)
        ? (validators as Record<string, unknown>)[name]
        : undefined
      : undefined;
  if (typeof flags !== 'object' || flags === null) {
    throw documentError(
      document,
      at,
      `names the request validator ${JSON.stringify(name)}, which ${VALIDATORS} does not define`,
    );
  }
  const { validateRequestBody, validateRequestParameters } = flags as Record<string, unknown>;
  return Object.freeze({
    validateRequestBody: validateRequestBody === true,
    validateRequestParameters: validateRequestParameters === true,
  });
}

/** A Parameter Object reduced to what validation reads, with where it is defined. */
export interface RequestParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  /** The JSON pointer of its definition (after following a `$ref`). */
  readonly pointer: string;
}

/**
 * An operation's parameters: the path item's, then the operation's, `$ref`s followed; an
 * operation parameter with the same name and location replaces the path item's in its place
 * (OpenAPI 3.0 §4.7.10: "can override, but cannot remove").
 */
export function mergeParameters(
  document: Record<string, unknown>,
  pathItem: Record<string, unknown>,
  pathItemPointer: string,
  operation: Record<string, unknown>,
  operationPointer: string,
): RequestParameter[] {
  const merged: RequestParameter[] = [];
  const add = (list: unknown, pointer: string): void => {
    if (!Array.isArray(list)) return;
    for (const [index, raw] of list.entries()) {
      const parameter = toRequestParameter(document, raw, childPointer(pointer, index));
      const same = merged.findIndex((p) => p.name === parameter.name && p.in === parameter.in);
      if (same === -1) merged.push(parameter);
      else merged[same] = parameter;
    }
  };
  add(pathItem.parameters, childPointer(pathItemPointer, 'parameters'));
  add(operation.parameters, childPointer(operationPointer, 'parameters'));
  return merged;
}

function toRequestParameter(document: object, raw: unknown, pointer: string): RequestParameter {
  const found = followRef(document, raw, pointer);
  const value = found.value as Record<string, unknown>;
  if (
    typeof value?.name !== 'string' ||
    !['path', 'query', 'header', 'cookie'].includes(value.in as string)
  )
    throw documentError(document, found.pointer, 'is not a Parameter Object (name, in)');
  return {
    name: value.name,
    in: value.in as RequestParameter['in'],
    required: value.in === 'path' || value.required === true,
    pointer: found.pointer,
  };
}

export interface RequestValidatorSpec extends RequestValidatorFlags {
  /** The document (as `loadOpenApiDocument` returns it). */
  readonly document: Record<string, unknown>;
  /** The operation's JSON pointer (`/paths/~1pets/post`): named by start-up errors. */
  readonly pointer: string;
  /** The operation's parameters, path item's merged in (`mergeParameters`), or raw Parameter Objects. */
  readonly parameters?: ReadonlyArray<RequestParameter | Record<string, unknown>>;
  /** The operation's Request Body Object, or a `$ref` to one. */
  readonly requestBody?: unknown;
  /**
   * The largest body read, in bytes; a larger one is answered 413.
   * @default 10 MiB (API Gateway's payload limit)
   */
  readonly bodyLimit?: number;
  /**
   * Called with why a request was refused (ajv's message for a body that fails its schema).
   * The client never sees it: ajv's text can echo the request's own values, and API Gateway
   * answers only "Invalid request body" too.
   */
  readonly debug?: (message: string) => void;
}

/**
 * The request validation `spec` asks for, as a core handler; undefined when there is nothing
 * to check (neither flag, or no required parameter and no JSON schema or required body).
 *
 * Like API Gateway, parameters are checked for presence only ("included and not blank"): a
 * parameter's `schema` is not applied to its value. Required `in: cookie` parameters are not checked (API Gateway has no
 * cookie parameters). A missing `Content-Type` is read as `application/json`, as API Gateway
 * does; a body whose media type has no JSON schema in the Request Body's `content` passes.
 */
export function compileRequestValidator(spec: RequestValidatorSpec): CoreHandler | undefined {
  const required = spec.validateRequestParameters ? requiredParameters(spec) : undefined;
  const body = spec.validateRequestBody ? compileBody(spec) : undefined;
  if (required === undefined && body === undefined) return undefined;
  return async function validateRequest(ex: Exchange, next: Next): Promise<void> {
    if (required !== undefined) {
      const missing = missingParameters(ex, required);
      if (missing !== undefined) {
        spec.debug?.(`missing parameters: ${missing}`);
        return sendGatewayError(
          ex,
          'badRequestParameters',
          `Missing required request parameters: [${missing}]`,
        );
      }
    }
    if (body !== undefined && !(await bodyIsValid(ex, body, spec.debug))) return;
    return next();
  };
}

interface RequiredParameters {
  readonly query: readonly string[];
  readonly header: readonly string[];
  readonly path: readonly string[];
  /** Every required parameter in document order, with its location: the message's order. */
  readonly all: ReadonlyArray<readonly [RequestParameter['in'], string]>;
}

function requiredParameters(spec: RequestValidatorSpec): RequiredParameters | undefined {
  const all: Array<readonly [RequestParameter['in'], string]> = [];
  for (const [index, raw] of (spec.parameters ?? []).entries()) {
    const parameter = isRequestParameter(raw)
      ? raw
      : toRequestParameter(spec.document, raw, childPointer(spec.pointer, 'parameters', index));
    if (parameter.required && parameter.in !== 'cookie') all.push([parameter.in, parameter.name]);
  }
  if (all.length === 0) return undefined;
  const of = (where: string) => all.filter(([i]) => i === where).map(([, name]) => name);
  return { query: of('query'), header: of('header'), path: of('path'), all };
}

function isRequestParameter(value: unknown): value is RequestParameter {
  return typeof (value as RequestParameter).pointer === 'string';
}

/**
 * The names of the required parameters the request lacks, joined with ", "; undefined if none.
 * API Gateway requires them "included and not blank": an empty or all-space value is missing.
 */
function missingParameters(ex: Exchange, required: RequiredParameters): string | undefined {
  const query = required.query.length > 0 ? queryOf(ex.url) : undefined;
  const path = ex.gateway.pathParameters;
  let missing: string | undefined;
  for (const [where, name] of required.all) {
    const value =
      where === 'query'
        ? firstNonBlank(query!.getAll(name))
        : where === 'header'
          ? ex.header(name.toLowerCase())
          : path?.[name];
    if (isBlank(value)) missing = missing === undefined ? name : `${missing}, ${name}`;
  }
  return missing;
}

function isBlank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}

/** `?a=&a=1` gives `a` a value: any occurrence that is not blank counts. */
function firstNonBlank(values: readonly string[]): string | undefined {
  return values.find((value) => !isBlank(value));
}

function queryOf(url: string): URLSearchParams {
  const start = url.indexOf('?');
  return new URLSearchParams(start === -1 ? '' : url.slice(start + 1));
}

interface BodyRules {
  readonly required: boolean;
  /** Validators by media type or range (`application/json`, `application/*`, `*\/*`), lower case. */
  readonly schemas: ReadonlyMap<string, ValidateFunction>;
  readonly limit: number;
  readonly pointer: string;
}

function compileBody(spec: RequestValidatorSpec): BodyRules | undefined {
  if (spec.requestBody === undefined) return undefined;
  const at = childPointer(spec.pointer, 'requestBody');
  const found = followRef(spec.document, spec.requestBody, at);
  const requestBody = found.value as { required?: unknown; content?: unknown };
  const schemas = new Map<string, ValidateFunction>();
  const content = requestBody.content;
  if (typeof content === 'object' && content !== null) {
    for (const [range, media] of Object.entries(content)) {
      const schema = (media as { schema?: unknown } | null)?.schema;
      if (schema === undefined || !isJsonRange(mediaTypeOf(range))) continue;
      const schemaAt = childPointer(found.pointer, 'content', range, 'schema');
      schemas.set(mediaTypeOf(range), compileBodySchema(spec.document, schema, schemaAt));
    }
  }
  const required = requestBody.required === true;
  if (!required && schemas.size === 0) return undefined;
  const limit = spec.bodyLimit ?? DEFAULT_BODY_LIMIT;
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
async function bodyIsValid(
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
  if (valid) return true;
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
