/**
 * API Gateway's request validators (`x-amazon-apigateway-request-validators`): required
 * parameters present, JSON bodies valid against the operation's schema. Everything is compiled
 * at start-up; a request pays for the checks its operation declares and nothing else.
 */

import { sendGatewayError } from '../../core/errors.js';
import type { CoreHandler, Exchange, Next } from '../../core/exchange.js';
import { type BodyRules, bodyIsValid, compileBody } from './body-validation.js';
import { childPointer, documentError } from './refs.js';
import {
  missingParameters,
  type RequestParameter,
  requiredParameters,
} from './request-parameters.js';

export { mergeParameters, type RequestParameter } from './request-parameters.js';

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
 * parameter's `schema` is not applied to its value. Required `in: cookie` parameters are not
 * checked (API Gateway has no cookie parameters). A missing `Content-Type` is read as
 * `application/json`, as API Gateway does; a body whose media type has no JSON schema in the
 * Request Body's `content` passes.
 */
export function compileRequestValidator(spec: RequestValidatorSpec): CoreHandler | undefined {
  const { debug } = spec;
  const required = spec.validateRequestParameters
    ? requiredParameters(spec.document, spec.pointer, spec.parameters ?? [])
    : undefined;
  const body = spec.validateRequestBody
    ? compileBody(spec.document, spec.pointer, spec.requestBody, spec.bodyLimit)
    : undefined;
  if (required === undefined && body === undefined) return undefined;
  // Not async: a request whose operation checks only parameters pays for no promise.
  return function validateRequest(ex: Exchange, next: Next): void | PromiseLike<void> {
    if (required !== undefined) {
      const missing = missingParameters(ex, required);
      if (missing !== undefined) {
        debug?.(`missing parameters: ${missing}`);
        return sendGatewayError(
          ex,
          'badRequestParameters',
          `Missing required request parameters: [${missing}]`,
        );
      }
    }
    if (body === undefined) return next();
    return bodyThenNext(ex, body, next, debug);
  };
}

async function bodyThenNext(
  ex: Exchange,
  body: BodyRules,
  next: Next,
  debug: ((message: string) => void) | undefined,
): Promise<void> {
  if (await bodyIsValid(ex, body, debug)) return next();
}
