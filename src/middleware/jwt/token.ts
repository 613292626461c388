/** Where a request's token is: compiled once from the `token` option into one reader. */

import type { Exchange } from '../../core/exchange.js';
import { queryOf, searchParams } from '../../core/target.js';
import { optionTypeError } from '../../core/validate.js';
import type { JwtTokenGetter, JwtTokenSources } from './types.js';

/**
 * Reads the token of a request: `undefined` when there is none, `''` when a Bearer credential is
 * present but empty (a malformed token, refused even with `credentialsRequired: false`).
 */
export type TokenReader = (ex: Exchange) => string | undefined | PromiseLike<string | undefined>;

const SCOPE = 'jwt';
/** RFC 6750 §2.1: `Bearer 1*SP b64token`; the scheme is case-insensitive (RFC 9110 §11.1). */
const BEARER_SCHEME = /^bearer(?: |$)/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The token of an `Authorization`-style value: after `Bearer `; undefined for another scheme. */
export function bearerToken(value: string | undefined): string | undefined {
  if (value === undefined || !BEARER_SCHEME.test(value)) return undefined;
  let start = 6;
  while (value.charCodeAt(start) === 32) start++;
  return value.slice(start);
}

/** A header holding the token, with or without the `Bearer ` prefix. */
function headerValueToken(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return BEARER_SCHEME.test(value) ? bearerToken(value) : value;
}

/** The value of cookie `name` in a `Cookie` header (RFC 6265 §4.2.1), quotes removed. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim();
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
      ? value.slice(1, -1)
      : value;
  }
  return undefined;
}

function queryValue(url: string, name: string): string | undefined {
  const query = queryOf(url);
  if (query === undefined) return undefined;
  return searchParams(query).get(name) ?? undefined;
}

/** A user's getter, made safe: a thrown error or a wrong type becomes an error for the app. */
function fromGetter(getter: JwtTokenGetter): TokenReader {
  const check = (value: unknown): string | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string')
      throw new TypeError(
        `portcullis.jwt: token(req) must return a string or undefined, got ${typeof value}`,
      );
    return value;
  };
  return (ex) => {
    const value = getter(ex.native);
    if (typeof (value as PromiseLike<unknown> | undefined)?.then === 'function')
      return (value as PromiseLike<unknown>).then(check);
    return check(value);
  };
}

/** Compiles the `token` option into one reader. */
export function compileTokenReader(option: unknown): TokenReader {
  if (option === undefined) return (ex) => bearerToken(ex.header('authorization'));
  if (typeof option === 'function') return fromGetter(option as JwtTokenGetter);
  if (typeof option !== 'object' || option === null || Array.isArray(option))
    throw optionTypeError(
      SCOPE,
      'token',
      'an object { header, cookie, query } or a function',
      option,
    );
  const { header, cookie, query, ...unknown } = option as JwtTokenSources;
  const extra = Object.keys(unknown);
  if (extra.length > 0) throw optionTypeError(SCOPE, `token.${extra[0]}`, 'absent', 'a value');
  const headerName = checkedName('token.header', header, HEADER_NAME)?.toLowerCase();
  const cookieName = checkedName('token.cookie', cookie, COOKIE_NAME);
  const queryName = checkedName('token.query', query, /^.+$/);
  if (headerName === undefined && cookieName === undefined && queryName === undefined)
    throw optionTypeError(SCOPE, 'token', 'an object naming a header, cookie or query', option);
  const fromHeader = headerName === 'authorization' ? bearerToken : headerValueToken;
  return (ex) => {
    let token: string | undefined;
    if (headerName !== undefined) token = fromHeader(ex.header(headerName));
    if (token === undefined && cookieName !== undefined)
      token = cookieValue(ex.header('cookie'), cookieName);
    if (token === undefined && queryName !== undefined) token = queryValue(ex.url, queryName);
    return token;
  };
}

function checkedName(option: string, value: unknown, pattern: RegExp): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value))
    throw optionTypeError(SCOPE, option, 'a name', value);
  return value;
}
