/**
 * Request body schemas compiled with ajv once at start-up: OpenAPI 3.0's Schema Object dialect
 * turned into the JSON Schema ajv compiles, `#/components/schemas` shared per document.
 */

import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { childPointer, documentError, followRef, pointerTokens, refPointer } from './refs.js';

/** The `$id` the document's component schemas are registered under, in its own ajv instance. */
const COMPONENTS_ID = 'urn:portcullis:openapi:components';
const COMPONENTS_PREFIX = '/components/schemas/';

/** One ajv instance per document: its components are compiled once and shared by operations. */
const instances = new WeakMap<object, Ajv>();

/**
 * - `allErrors: false`: the first failure is enough to answer 400, is cheaper, and bounds the
 *   work an invalid body can cause (a huge array of wrong items stops at the first one);
 * - `strict: false`: OpenAPI schemas carry keywords JSON Schema does not know (`example`,
 *   `xml`, `externalDocs`, `discriminator`, `x-…`), which strict mode would refuse;
 * - `logger: false`: an unknown `format` (OpenAPI allows any) is ignored without a console line;
 * - `unicodeRegExp: false`: `pattern`s compile as plain (non-`u`) regular expressions, the
 *   dialect the official schema's `format: regex` check accepted at load time; escapes such as
 *   `\-`, common in exported documents, are syntax errors in `u` mode;
 * - formats from ajv-formats, which include OpenAPI's `int32`, `int64`, `float`, `double`,
 *   `byte`, `binary` and `password`;
 * - no `coerceTypes`, no `useDefaults`, no `removeAdditional`: validation never changes the body.
 */
function ajvFor(document: Record<string, unknown>): Ajv {
  const known = instances.get(document);
  if (known !== undefined) return known;
  const ajv = new Ajv({ allErrors: false, strict: false, logger: false, unicodeRegExp: false });
  addFormats(ajv);
  const components = (document.components as { schemas?: unknown } | undefined)?.schemas;
  const definitions: Record<string, unknown> = {};
  if (typeof components === 'object' && components !== null) {
    for (const [name, schema] of Object.entries(components))
      definitions[name] = toJsonSchema(document, schema, childPointer('/components/schemas', name));
  }
  ajv.addSchema({ $id: COMPONENTS_ID, definitions });
  instances.set(document, ajv);
  return ajv;
}

/**
 * The compiled validator for the schema at `pointer` (`schema` is its value); throws at
 * start-up, naming `pointer`, when ajv cannot compile it.
 */
export function compileBodySchema(
  document: Record<string, unknown>,
  schema: unknown,
  pointer: string,
): ValidateFunction {
  const ajv = ajvFor(document);
  try {
    return ajv.compile(toJsonSchema(document, schema, pointer) as object);
  } catch (error) {
    throw documentError(
      document,
      pointer,
      `the schema does not compile: ${(error as Error).message}`,
    );
  }
}

/** Keywords whose value is one subschema. */
const SUBSCHEMA = ['not', 'additionalProperties', 'items', 'additionalItems', 'contains'];
/** Keywords whose value is an array of subschemas. */
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf'];
/** Keywords whose value maps names to subschemas. */
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs'];

/**
 * An OpenAPI Schema Object as JSON Schema draft-07:
 * - `nullable: true` adds `null` to `type` (and to `enum`); without a `type` the schema is
 *   wrapped in `anyOf: [{ type: 'null' }, …]`, which is what `nullable` beside `allOf: [$ref]`
 *   is written to mean;
 * - 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` become draft-06's numbers;
 * - `$ref`s into `#/components/schemas` point at the document's shared definitions; other
 *   local refs are inlined (a recursive one outside the components is refused).
 */
function toJsonSchema(
  document: Record<string, unknown>,
  schema: unknown,
  pointer: string,
  inlining: readonly string[] = [],
): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const source = schema as Record<string, unknown>;
  if ('$ref' in source) return convertRef(document, source, pointer, inlining);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    const at = childPointer(pointer, key);
    if (SUBSCHEMA.includes(key)) out[key] = toJsonSchema(document, value, at, inlining);
    else if (SUBSCHEMA_LISTS.includes(key) && Array.isArray(value))
      out[key] = value.map((item, i) =>
        toJsonSchema(document, item, childPointer(at, i), inlining),
      );
    else if (SUBSCHEMA_MAPS.includes(key) && typeof value === 'object' && value !== null)
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, item]) => [
          name,
          toJsonSchema(document, item, childPointer(at, name), inlining),
        ]),
      );
    else if (key !== 'nullable') out[key] = value;
  }
  convertExclusiveBound(out, 'exclusiveMinimum', 'minimum');
  convertExclusiveBound(out, 'exclusiveMaximum', 'maximum');
  return source.nullable === true ? nullable(out) : out;
}

function convertRef(
  document: Record<string, unknown>,
  source: Record<string, unknown>,
  pointer: string,
  inlining: readonly string[],
): unknown {
  const target = refPointer(document, source.$ref, pointer);
  if (target.startsWith(COMPONENTS_PREFIX) && pointerTokens(target)!.length >= 3) {
    // Throws here, with the pointer of the ref, when it leads nowhere.
    followRef(document, source, pointer);
    const rest = target.slice(COMPONENTS_PREFIX.length);
    return { $ref: `${COMPONENTS_ID}#/definitions/${encodeURI(rest)}` };
  }
  if (inlining.includes(target)) {
    throw documentError(
      document,
      childPointer(pointer, '$ref'),
      'a recursive schema must live in #/components/schemas to be validated',
    );
  }
  const resolved = followRef(document, source, pointer);
  return toJsonSchema(document, resolved.value, resolved.pointer, [...inlining, target]);
}

function convertExclusiveBound(schema: Record<string, unknown>, exclusive: string, bound: string) {
  const flag = schema[exclusive];
  if (typeof flag !== 'boolean') return;
  if (flag && typeof schema[bound] === 'number') {
    schema[exclusive] = schema[bound];
    delete schema[bound];
  } else delete schema[exclusive];
}

function nullable(schema: Record<string, unknown>): Record<string, unknown> {
  const type = schema.type;
  if (type === undefined) return { anyOf: [{ type: 'null' }, schema] };
  if (typeof type === 'string') schema.type = [type, 'null'];
  else if (Array.isArray(type) && !type.includes('null')) schema.type = [...type, 'null'];
  if (Array.isArray(schema.enum) && !schema.enum.includes(null))
    schema.enum = [...schema.enum, null];
  return schema;
}
