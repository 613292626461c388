/** The parts of a request both payload formats are made of: route, headers, query, body, caller. */

import type { TLSSocket } from 'node:tls';
import type { Exchange } from '../../core/exchange.js';
import { mediaTypeOf } from '../../core/request-body.js';
import { queryOf, searchParams } from '../../core/target.js';
import type { LambdaConfig } from './options.js';
import type { LambdaClientCert } from './types.js';

/** The route that served the request: its template (`/pets/{id}`) and decoded parameters. */
export interface RouteInfo {
  /** null when neither `gateway.openapi()` nor the app's router matched a route. */
  readonly template: string | null;
  readonly parameters: Readonly<Record<string, string>> | null;
}

/**
 * The matched resource as `gateway.openapi()` set it, else the app's router's route: Express's
 * `/pets/:id` becomes API Gateway's `/pets/{id}`, Express 5's `*rest` a greedy `{rest+}`.
 */
export function routeOf(ex: Exchange): RouteInfo {
  const gateway = ex.gateway;
  if (gateway.resourcePath !== undefined)
    return { template: gateway.resourcePath, parameters: nonEmpty(gateway.pathParameters) };
  const template = ex.routeTemplate;
  return {
    template: template === null ? null : apiGatewayTemplate(template),
    parameters: stringParameters(ex.routeParams),
  };
}

/** `:name` → `{name}`, `*name` → `{name+}` (path-to-regexp's parameters in API Gateway's syntax). */
export function apiGatewayTemplate(template: string): string {
  return template
    .replace(/:([A-Za-z0-9_$]+)/g, '{$1}')
    .replace(/\*([A-Za-z_$][A-Za-z0-9_$]*)/g, '{$1+}');
}

/** A router's parameters as strings: Express 5 gives a `*rest` wildcard as an array of segments. */
function stringParameters(
  params: Readonly<Record<string, unknown>> | undefined,
): Record<string, string> | null {
  if (params === undefined) return null;
  let out: Record<string, string> | null = null;
  for (const [name, value] of Object.entries(params)) {
    const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join('/') : null;
    if (text === null) continue;
    out ??= {};
    setOwn(out, name, text);
  }
  return out;
}

/**
 * A copy of `value`, or null when it is undefined or empty. A copy: the context's objects may be
 * frozen, and a handler may change its event as it can in Lambda.
 */
function nonEmpty<T extends object>(value: T | undefined): T | null {
  if (value === undefined) return null;
  for (const _ in value) return { ...value };
  return null;
}

/** The stage variables in force: the stage's (`gateway.openapi()`), else the option's; null when none. */
export function stageVariablesOf(
  ex: Exchange,
  config: LambdaConfig,
): Readonly<Record<string, string>> | null {
  return nonEmpty(ex.gateway.stageVariables ?? config.stageVariables);
}

/**
 * Assigns an own property, even `__proto__` (a header or parameter may be called that): a plain
 * assignment would set the object's prototype instead.
 */
export function setOwn<T>(target: Record<string, T>, name: string, value: T): void {
  if (name === '__proto__')
    Object.defineProperty(target, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else target[name] = value;
}

/** One header as the client sent it: the first spelling of its name, and every value in order. */
export interface HeaderField {
  readonly name: string;
  readonly values: string[];
}

/**
 * The request's header fields by lower-case name, from the raw list: `req.headers` has already
 * joined repeated fields (and dropped repeats of some), which would hide what a multi-value
 * event shows.
 */
export function headerFields(ex: Exchange): Map<string, HeaderField> {
  const raw = ex.req.rawHeaders;
  const fields = new Map<string, HeaderField>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    const field = fields.get(lower);
    if (field === undefined) fields.set(lower, { name, values: [raw[i + 1]!] });
    else field.values.push(raw[i + 1]!);
  }
  return fields;
}

/** The raw query (without `?`, before any fragment) of the URL the client sent; `''` without one. */
export function rawQueryOf(url: string): string {
  return queryOf(url) ?? '';
}

/** Every value of every query parameter, decoded; null without any. */
export function queryLists(rawQuery: string): Map<string, string[]> | null {
  if (rawQuery === '') return null;
  const lists = new Map<string, string[]>();
  for (const [name, value] of searchParams(rawQuery)) {
    const list = lists.get(name);
    if (list === undefined) lists.set(name, [value]);
    else list.push(value);
  }
  return lists.size === 0 ? null : lists;
}

/** The body as the event carries it. */
export interface EventBody {
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

/**
 * HTTP APIs (payload 2.0) hand these bodies over as text and every other as base64, a body
 * without a type too (verified against AWS; the documentation names no list).
 */
const HTTP_API_TEXT_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/javascript',
]);

/**
 * The body for the event, or null when the request has none. Binary: payload 1.0 by
 * `binaryMediaTypes` (REST APIs' rule, on the request's `Content-Type`), payload 2.0 by HTTP
 * APIs' own rule.
 */
export function eventBody(
  bytes: Buffer,
  contentType: string | undefined,
  config: LambdaConfig,
): EventBody | null {
  if (bytes.length === 0) return null;
  const type = mediaTypeOf(contentType ?? '');
  const binary =
    config.version === '1.0'
      ? config.binary(type)
      : !(type.startsWith('text/') || HTTP_API_TEXT_TYPES.has(type));
  return binary
    ? { body: bytes.toString('base64'), isBase64Encoded: true }
    : { body: bytes.toString('utf8'), isBase64Encoded: false };
}

/**
 * The verified client certificate (`clientCert()` ran), with the PEM read from the connection:
 * empty when the certificate came from somewhere else than this TLS socket.
 */
export function clientCertOf(ex: Exchange): LambdaClientCert | null {
  const cert = ex.gateway.clientCert;
  if (cert === undefined) return null;
  const socket = ex.req.socket as Partial<TLSSocket>;
  const pem =
    socket.encrypted === true ? (socket.getPeerX509Certificate?.()?.toString() ?? '') : '';
  return {
    clientCertPem: pem,
    subjectDN: cert.subjectDN,
    issuerDN: cert.issuerDN,
    serialNumber: cert.serialNumber,
    validity: { notBefore: cert.validity.notBefore, notAfter: cert.validity.notAfter },
  };
}

/** The `Host` the request was sent to, without its port (API Gateway's `domainName`). */
export function domainNameOf(ex: Exchange): string {
  const host = ex.header('host') ?? '';
  return host.replace(/:\d*$/, '');
}

/** The first label of the domain name (`domainPrefix`). */
export function domainPrefixOf(domainName: string): string {
  return domainName.split('.', 1)[0]!;
}
