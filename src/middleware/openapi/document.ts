/**
 * Loads an OpenAPI document (an object, or a JSON or YAML file) once at start-up, checks it,
 * and hands back a frozen copy: what is wrong fails here, with the JSON pointer of the place.
 */

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { checkDocument } from './document-check.js';
import { childPointer, OBJECT_SOURCE, OpenApiDocumentError, registerSource } from './refs.js';

export interface LoadedOpenApiDocument {
  /** A deep copy of the document, frozen: no piece can change what another one reads. */
  readonly document: Record<string, unknown>;
  /** The file name as given, or `<object>` for an object: the first part of error messages. */
  readonly source: string;
}

/**
 * The document `input` names, checked: an object (copied, never changed: the caller keeps
 * theirs as it was) or the path of a `.json`, `.yaml` or `.yml` file (read synchronously,
 * once, as start-up code does). Throws `OpenApiDocumentError`
 * (`portcullis.openapi: api.yaml: /paths/~1pets/get/responses: must have at least one response`)
 * for what is wrong; YAML and JSON syntax errors give the line and column instead of a pointer.
 */
export function loadOpenApiDocument(input: object | string): LoadedOpenApiDocument {
  const source = typeof input === 'string' ? input : OBJECT_SOURCE;
  const parsed = typeof input === 'string' ? readDocumentFile(input) : input;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new OpenApiDocumentError(source, '', 'the document must be an object (a mapping)');
  }
  const document = frozenCopy(parsed, source) as Record<string, unknown>;
  registerSource(document, source);
  checkDocument(document);
  return { document, source };
}

function readDocumentFile(path: string): unknown {
  const extension = extname(path).toLowerCase();
  if (extension !== '.json' && extension !== '.yaml' && extension !== '.yml') {
    throw new TypeError(
      `portcullis.openapi: the document "${path}" must be a .json, .yaml or .yml file (or an object)`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`portcullis.openapi: cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // A byte order mark is not part of the text (RFC 8259 §8.1 lets parsers ignore it).
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return extension === '.json' ? parseJson(text, path) : parseYaml(text, path);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // Node 22 and later append " (line 5 column 3)", which the location already says.
    const message = (error as Error).message.replace(/ \(line \d+ column \d+\)$/, '');
    const position = /at position (\d+)/.exec(message);
    const where = position === null ? 'JSON' : lineAndColumn(text, Number(position[1]));
    throw new OpenApiDocumentError(source, where, `invalid JSON: ${message}`);
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/**
 * YAML 1.2 with its core schema, options chosen for a file that configures a gateway:
 * - no custom tags (`customTags: []`, and an unknown tag such as `!!js/function` is an error,
 *   not a string): the document is data, and nothing in it may construct anything else;
 * - `uniqueKeys`: a key given twice is an error, not "the last one wins" silently (two `get:`
 *   under one path would otherwise drop an operation);
 * - `maxAliasCount: 100` (when aliases are expanded into plain data): a few aliases that each
 *   point at lists of aliases grow exponentially ("billion laughs"), so their number is capped;
 * - `merge: true`: `<<: *defaults` merge keys are how hand-written API definitions share
 *   fragments; they are aliases, so the cap above bounds them too;
 * - warnings are errors: a start-up is the time to hear about them.
 */
function parseYaml(text: string, source: string): unknown {
  const yaml = parseDocument(text, {
    version: '1.2',
    schema: 'core',
    customTags: [],
    uniqueKeys: true,
    merge: true,
    prettyErrors: true,
  });
  const problem = yaml.errors[0] ?? yaml.warnings[0];
  if (problem !== undefined) {
    const start = problem.linePos?.[0];
    const where = start === undefined ? 'YAML' : `line ${start.line}, column ${start.col}`;
    const message = problem.message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new OpenApiDocumentError(source, where, `invalid YAML: ${message}`);
  }
  try {
    return yaml.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new OpenApiDocumentError(source, 'YAML', (error as Error).message);
  }
}

/**
 * A deep copy of `value` as plain JSON data, every object frozen. Objects shared by several
 * places (YAML aliases, a schema object reused in JS) stay shared in the copy, so copying is
 * linear in the document's size; an object that contains itself (`a: &x { b: *x }`) is
 * refused, since nothing that walks the document could finish. Values JSON cannot carry
 * (functions, `NaN`, dates, class instances) are refused with their pointer.
 */
function frozenCopy(root: object, source: string): unknown {
  const copies = new Map<object, unknown>();
  const inProgress = new Set<object>();
  const copy = (value: unknown, pointer: string): unknown => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) return value;
      throw new OpenApiDocumentError(source, pointer, `${value} is not a JSON number`);
    }
    if (typeof value !== 'object') {
      throw new OpenApiDocumentError(source, pointer, `a ${typeof value} is not JSON data`);
    }
    const known = copies.get(value);
    if (known !== undefined) return known;
    if (inProgress.has(value)) {
      throw new OpenApiDocumentError(source, pointer, 'contains itself (a circular structure)');
    }
    inProgress.add(value);
    const out = Array.isArray(value)
      ? value.map((item, index) => copy(item, childPointer(pointer, index)))
      : copyObject(value, pointer);
    inProgress.delete(value);
    copies.set(value, Object.freeze(out));
    return out;
  };
  const copyObject = (value: object, pointer: string): Record<string, unknown> => {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      throw new OpenApiDocumentError(
        source,
        pointer,
        'must be plain JSON data (an object literal)',
      );
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      // A JSON `"__proto__"` key is data: define it, never assign it (that would set the prototype).
      Object.defineProperty(out, key, {
        value: copy(item, childPointer(pointer, key)),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
  return copy(root, '');
}
