/**
 * What a loaded document must satisfy before anything is built from it: its OpenAPI version's
 * schema, the shape of API Gateway's extensions, and `$ref`s that all lead somewhere.
 */

import {
  checkAmazonExtensions,
  checkOpenApi30,
  checkOpenApi30Operation,
} from './document-schema.js';
import { childPointer, documentError, followRef, isReference } from './refs.js';
import { selectValidator } from './validation.js';

const ANY_METHOD = 'x-amazon-apigateway-any-method';
const INTEGRATION = 'x-amazon-apigateway-integration';

/** Throws an `OpenApiDocumentError` for the first problem found in `document`. */
export function checkDocument(document: Record<string, unknown>): void {
  const version = document.openapi;
  if (version === undefined) {
    if (document.swagger !== undefined) {
      throw documentError(
        document,
        '/swagger',
        'Swagger 2.0 is not supported: convert the document to OpenAPI 3 (API Gateway exports both: --export-type oas30)',
      );
    }
    throw documentError(document, '/openapi', 'is required');
  }
  if (typeof version !== 'string') throw documentError(document, '/openapi', 'must be a string');
  if (/^3\.0\.\d+(-.+)?$/.test(version)) {
    checkOpenApi30(document);
    checkAnyMethodOperations(document);
  } else if (/^3\.1\.\d+(-.+)?$/.test(version)) {
    checkOpenApi31Structure(document);
  } else {
    throw documentError(
      document,
      '/openapi',
      `version ${JSON.stringify(version)} is not supported (3.0.x or 3.1.x)`,
    );
  }
  checkAmazonExtensions(document);
  checkRefs(document);
  checkValidatorNames(document);
}

/** Every operation's request validator (its own, else the document's) must be defined. */
function checkValidatorNames(document: Record<string, unknown>): void {
  for (const [path, item] of entriesOf(document.paths)) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (isObject(operation))
        selectValidator(document, operation, childPointer('/paths', path, method));
    }
  }
}

/** The official schema leaves `x-` properties alone; API Gateway reads this one as an operation. */
function checkAnyMethodOperations(document: Record<string, unknown>): void {
  for (const [path, item] of entriesOf(document.paths)) {
    const operation = (item as Record<string, unknown>)[ANY_METHOD];
    if (operation !== undefined)
      checkOpenApi30Operation(document, operation, childPointer('/paths', path, ANY_METHOD));
  }
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', ANY_METHOD];
const LOCATIONS = ['path', 'query', 'header', 'cookie'];

/**
 * OpenAPI 3.1 documents get a structural check only (the official 3.1 schema needs JSON
 * Schema 2020-12 dynamic references to describe Schema Objects): what the gateway itself
 * reads — `info`, `paths` and their operations, parameters, request bodies, responses — has
 * the right kinds of values. Schemas inside are checked when the request validator compiles them.
 */
function checkOpenApi31Structure(document: Record<string, unknown>): void {
  const fail = (pointer: string, problem: string): never => {
    throw documentError(document, pointer, problem);
  };
  const info = document.info;
  if (!isObject(info)) fail('/info', info === undefined ? 'is required' : 'must be an object');
  for (const field of ['title', 'version'])
    if (typeof (info as Record<string, unknown>)[field] !== 'string')
      fail(childPointer('/info', field), 'must be a string');
  if (document.paths === undefined) return;
  if (!isObject(document.paths)) fail('/paths', 'must be an object');
  for (const [path, item] of entriesOf(document.paths)) {
    const at = childPointer('/paths', path);
    if (path.startsWith('x-')) continue;
    if (!path.startsWith('/')) fail(at, "is not a path: paths start with '/'");
    if (!isObject(item)) fail(at, 'must be an object');
    const pathItem = item as Record<string, unknown>;
    checkParameters31(pathItem.parameters, childPointer(at, 'parameters'), fail);
    for (const method of METHODS) {
      const operation = pathItem[method];
      if (operation === undefined) continue;
      const opAt = childPointer(at, method);
      if (!isObject(operation)) fail(opAt, 'must be an object');
      const op = operation as Record<string, unknown>;
      checkParameters31(op.parameters, childPointer(opAt, 'parameters'), fail);
      if (op.requestBody !== undefined && !isObject(op.requestBody))
        fail(childPointer(opAt, 'requestBody'), 'must be an object');
      if (op.responses !== undefined && !isObject(op.responses))
        fail(childPointer(opAt, 'responses'), 'must be an object');
    }
  }
}

function checkParameters31(
  parameters: unknown,
  at: string,
  fail: (pointer: string, problem: string) => never,
): void {
  if (parameters === undefined) return;
  if (!Array.isArray(parameters)) fail(at, 'must be an array');
  for (const [index, parameter] of (parameters as unknown[]).entries()) {
    const p = childPointer(at, index);
    if (!isObject(parameter)) fail(p, 'must be an object');
    const param = parameter as Record<string, unknown>;
    if ('$ref' in param) continue;
    if (typeof param.name !== 'string') fail(childPointer(p, 'name'), 'must be a string');
    if (!LOCATIONS.includes(param.in as string))
      fail(childPointer(p, 'in'), `must be one of ${LOCATIONS.join(', ')}`);
    if (param.in === 'path' && param.required !== true)
      fail(childPointer(p, 'required'), 'must be true for a path parameter');
  }
}

/**
 * Keys whose values are maps from names the author chose (schema property names, media
 * types, status codes) to structures: the keys inside are names, never keywords.
 */
const NAME_MAPS = new Set([
  'paths',
  'webhooks',
  'properties',
  'patternProperties',
  'schemas',
  'responses',
  'parameters',
  'examples',
  'requestBodies',
  'headers',
  'securitySchemes',
  'links',
  'callbacks',
  'pathItems',
  'content',
  'encoding',
  'variables',
  '$defs',
  'definitions',
  'dependentSchemas',
]);

/** Keys whose values are data (examples, defaults, enum values): a `$ref` inside is just text. */
const DATA_KEYS = new Set(['example', 'examples', 'default', 'enum', 'const', 'value']);

/**
 * Follows every `$ref` in the document once: one that leads nowhere, one that is external, and
 * a chain of refs that comes back to itself fail here rather than on the first request that
 * needs them. Data (examples, defaults) and extension values are not searched, except the
 * any-method operation, which is an operation, and an integration given as a `$ref` (to
 * `components.x-amazon-apigateway-integrations`, as HTTP API exports write them).
 */
function checkRefs(document: Record<string, unknown>): void {
  const visited = new WeakSet<object>();
  const walk = (value: unknown, pointer: string, keysAreNames: boolean): void => {
    if (typeof value !== 'object' || value === null || visited.has(value)) return;
    visited.add(value);
    if (!keysAreNames && !Array.isArray(value) && '$ref' in value) {
      followRef(document, value, pointer);
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      if (!keysAreNames && key === INTEGRATION && isReference(child)) {
        followRef(document, child, childPointer(pointer, key));
        continue;
      }
      if (!keysAreNames && isDataOrExtension(key, child)) continue;
      walk(child, childPointer(pointer, key), !keysAreNames && NAME_MAPS.has(key));
    }
  };
  walk(document, '', false);
}

/** `examples` is data in a 3.1 Schema (an array) and a map of Example Objects elsewhere. */
function isDataOrExtension(key: string, value: unknown): boolean {
  if (key === ANY_METHOD) return false;
  if (key.startsWith('x-')) return true;
  return DATA_KEYS.has(key) && !(key === 'examples' && isObject(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entriesOf(value: unknown): Array<[string, unknown]> {
  return isObject(value) ? Object.entries(value) : [];
}
