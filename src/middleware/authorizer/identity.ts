/** Identity sources: where a request's credentials are, whether they are all there, and the cache key they make. */

import type { Exchange } from '../../core/exchange.js';
import { queryOf, searchParams } from '../../core/target.js';
import { HTTP_TOKEN, optionTypeError } from '../../core/validate.js';

export interface IdentitySource {
  readonly in: 'header' | 'query';
  /** Header names in lower case; query names as written (they are case-sensitive). */
  readonly name: string;
}

/** `header:Authorization`, `query:token`, or API Gateway's `method.request.header.Authorization`. */
const SOURCE = /^(?:(header|query):|method\.request\.(header|querystring)\.)(.+)$/;

function compileSource(scope: string, option: string, text: unknown): IdentitySource {
  const match = typeof text === 'string' ? SOURCE.exec(text) : null;
  const kind = match?.[1] ?? match?.[2];
  const name = match?.[3];
  const valid =
    kind !== undefined && name !== undefined && (kind === 'header' ? HTTP_TOKEN.test(name) : true);
  if (!valid) throw optionTypeError(scope, option, "'header:<name>' or 'query:<name>'", text);
  return kind === 'header'
    ? Object.freeze({ in: 'header', name: name.toLowerCase() })
    : Object.freeze({ in: 'query', name });
}

/** Validates `identitySource`: one or more sources; `'TOKEN'` takes exactly one header. */
export function compileIdentitySources(
  scope: string,
  value: unknown,
  type: 'REQUEST' | 'TOKEN',
): readonly IdentitySource[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0)
    throw optionTypeError(scope, 'identitySource', 'a source or a non-empty array of them', value);
  const sources = list.map((text, i) =>
    compileSource(
      scope,
      typeof value === 'string' ? 'identitySource' : `identitySource[${i}]`,
      text,
    ),
  );
  if (type === 'TOKEN' && (sources.length !== 1 || sources[0]?.in !== 'header'))
    throw optionTypeError(scope, 'identitySource', "one 'header:<name>' with type 'TOKEN'", value);
  return Object.freeze(sources);
}

/** The query's parameters, the last value of a repeated one winning (as API Gateway), or null without any. */
export function queryParameters(url: string): Record<string, string> | null {
  // A fragment is not part of the query (parseurl, and so the routers, drop it).
  const query = queryOf(url);
  if (query === undefined || query === '') return null;
  const out: Record<string, string> = Object.create(null);
  for (const [name, value] of searchParams(query)) out[name] = value;
  return out;
}

/**
 * The request's identity: the values of every source, joined into the cache key, or undefined
 * when one is missing or empty (API Gateway then answers 401 without calling the authorizer).
 * One source is its own key; several are length-prefixed so that no two lists make one key.
 */
export function identityKey(ex: Exchange, sources: readonly IdentitySource[]): string | undefined {
  if (sources.length === 1) return sourceValue(ex, sources[0] as IdentitySource, undefined);
  let query: Record<string, string> | null | undefined;
  let key = '';
  for (const source of sources) {
    if (source.in === 'query' && query === undefined) query = queryParameters(ex.originalUrl);
    const value = sourceValue(ex, source, query);
    if (value === undefined) return undefined;
    key += `${value.length}:${value}`;
  }
  return key;
}

function sourceValue(
  ex: Exchange,
  source: IdentitySource,
  query: Record<string, string> | null | undefined,
): string | undefined {
  const value =
    source.in === 'header'
      ? ex.header(source.name)
      : (query === undefined ? queryParameters(ex.originalUrl) : query)?.[source.name];
  return value === undefined || value === '' ? undefined : value;
}
