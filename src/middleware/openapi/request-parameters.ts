/**
 * An operation's parameters as request validation reads them: merged with its path item's,
 * `$ref`s followed, and checked on a request for presence (API Gateway's rule).
 */

import type { Exchange } from '../../core/exchange.js';
import { queryOf, searchParams } from '../../core/target.js';
import { childPointer, documentError, followRef } from './refs.js';

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
 * (OpenAPI 3.0.3 §4.7.10, Operation Object: it may override one, never remove it).
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

export interface RequiredParameters {
  readonly query: readonly string[];
  readonly header: readonly string[];
  readonly path: readonly string[];
  /** Every required parameter in document order, with its location: the message's order. */
  readonly all: ReadonlyArray<readonly [RequestParameter['in'], string]>;
}

/** The required parameters validation checks, by location; undefined when there are none. */
export function requiredParameters(
  document: Record<string, unknown>,
  pointer: string,
  parameters: ReadonlyArray<RequestParameter | Record<string, unknown>>,
): RequiredParameters | undefined {
  const all: Array<readonly [RequestParameter['in'], string]> = [];
  for (const [index, raw] of parameters.entries()) {
    const parameter = isRequestParameter(raw)
      ? raw
      : toRequestParameter(document, raw, childPointer(pointer, 'parameters', index));
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
export function missingParameters(ex: Exchange, required: RequiredParameters): string | undefined {
  const query = required.query.length > 0 ? searchParamsOf(ex.url) : undefined;
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

function searchParamsOf(url: string): URLSearchParams {
  return searchParams(queryOf(url) ?? '');
}
