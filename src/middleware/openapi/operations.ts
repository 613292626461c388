/** The document's operations: each path's methods (and `x-amazon-apigateway-any-method`), with where they are. */

import { childPointer } from './refs.js';
import type { Findings } from './report.js';
import { isObject } from './responses.js';

export interface Operation {
  /** Upper-case method, or `ANY`. */
  readonly method: string;
  readonly path: string;
  readonly pointer: string;
  readonly operation: Record<string, unknown>;
  /** The path item it is in (its `parameters` apply too). */
  readonly pathItem: Record<string, unknown>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
export const ANY_METHOD = 'x-amazon-apigateway-any-method';
/** Path item keys that are not operations and change nothing at run time. */
const PATH_ITEM_KEYS = new Set(['summary', 'description', 'parameters', 'servers']);

/** Every operation of `document.paths`, in the document's order. */
export function operationsOf(document: Record<string, unknown>, findings: Findings): Operation[] {
  const paths = document.paths;
  if (paths === undefined) return [];
  if (!isObject(paths)) throw findings.error('/paths', 'must be an object');
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(paths)) {
    const here = childPointer('', 'paths', path);
    if (!path.startsWith('/')) throw findings.error(here, 'a path must start with "/"');
    if (!isObject(item)) throw findings.error(here, 'must be an object');
    for (const [key, operation] of Object.entries(item)) {
      const at = childPointer(here, key);
      const method =
        key === ANY_METHOD ? 'ANY' : METHODS.includes(key) ? key.toUpperCase() : undefined;
      if (method === undefined) {
        if (key === '$ref') findings.add(at, 'a $ref path item is not followed');
        else if (!PATH_ITEM_KEYS.has(key) && !key.startsWith('x-'))
          throw findings.error(at, `"${key}" is not a path item field`);
        continue;
      }
      if (!isObject(operation)) throw findings.error(at, 'must be an object');
      out.push({ method, path, pointer: at, operation, pathItem: item });
    }
  }
  return out;
}
