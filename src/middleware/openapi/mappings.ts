/**
 * API Gateway's parameter mappings: `integration.request.{header,querystring,path}.x` from the
 * method request, the context, stage variables or a static `'value'`, and
 * `method.response.header.x` from the integration's response or a static value.
 */

import type { Exchange } from '../../core/exchange.js';
import { HOP_BY_HOP_HEADERS } from '../../core/headers.js';
import { queryOf, searchParams } from '../../core/target.js';
import { childPointer } from './refs.js';
import type { Findings } from './report.js';

/** Per request: the query, parsed on first use. */
export class MappingInput {
  private parsed: URLSearchParams | undefined;
  constructor(readonly ex: Exchange) {}

  query(): URLSearchParams {
    if (this.parsed === undefined) {
      this.parsed = searchParams(queryOf(this.ex.url) ?? '');
    }
    return this.parsed;
  }
}

/** A mapping's source, evaluated per request; undefined when the request has no such value. */
export type ValueSource = (input: MappingInput) => string | undefined;

/** The request mappings of an integration, compiled. */
export interface RequestMappings {
  readonly headers: ReadonlyArray<readonly [string, ValueSource]>;
  readonly query: ReadonlyArray<readonly [string, ValueSource]>;
  readonly path: ReadonlyMap<string, ValueSource>;
}

export const NO_REQUEST_MAPPINGS: RequestMappings = Object.freeze({
  headers: [],
  query: [],
  path: new Map(),
});

const STAGE_VARIABLE = /\$\{stageVariables\.([A-Za-z0-9_]+)\}/g;

/**
 * `text` with `${stageVariables.name}` replaced from `variables` (at start-up, per stage).
 * A variable the stage does not define is a start-up error: the request would fail anyway.
 */
export function withStageVariables(
  text: string,
  variables: Readonly<Record<string, string>>,
  stage: string,
  pointer: string,
  findings: Findings,
): string {
  return text.replace(STAGE_VARIABLE, (_all, name: string) => {
    const value = variables[name];
    if (value === undefined)
      throw findings.error(pointer, `stage "${stage}" has no stage variable "${name}"`);
    return value;
  });
}

const STATIC = /^'(.*)'$/s;

/**
 * Headers no mapping may set: they frame the message or describe the connection, so a value
 * taken from the request (`content-length` from a query parameter) would let a caller re-frame
 * what goes upstream or back (request smuggling), or pick the upstream's virtual host.
 */
const UNMAPPABLE_HEADERS = new Set([...HOP_BY_HOP_HEADERS, 'content-length', 'host', 'expect']);

function unmappable(findings: Findings, pointer: string, name: string): boolean {
  if (!UNMAPPABLE_HEADERS.has(name)) return false;
  findings.add(pointer, `${name} frames the message or the connection: not mapped`);
  return true;
}
const TARGET = /^integration\.request\.(header|querystring|path)\.(.+)$/;

/** Compiles `requestParameters` (stage variables already substituted). Unsupported ones are reported. */
export function compileRequestMappings(
  parameters: unknown,
  pointer: string,
  findings: Findings,
): RequestMappings {
  if (parameters === undefined) return NO_REQUEST_MAPPINGS;
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))
    throw findings.error(pointer, 'requestParameters must be an object');
  const headers: Array<readonly [string, ValueSource]> = [];
  const query: Array<readonly [string, ValueSource]> = [];
  const path = new Map<string, ValueSource>();
  for (const [target, source] of Object.entries(parameters)) {
    const here = childPointer(pointer, target);
    const to = TARGET.exec(target);
    const from = typeof source === 'string' ? requestSource(source) : undefined;
    if (to === null || from === undefined) {
      findings.add(here, `mapping ${target} = ${JSON.stringify(source)} is not supported`);
      continue;
    }
    const [, where, name] = to as unknown as [string, string, string];
    if (where === 'header') {
      if (!unmappable(findings, here, name.toLowerCase())) headers.push([name.toLowerCase(), from]);
    } else if (where === 'querystring') query.push([name, from]);
    else path.set(name, from);
  }
  return { headers, query, path };
}

/** The source of a request mapping, or undefined when it is not one API Gateway's we run. */
function requestSource(source: string): ValueSource | undefined {
  const literal = STATIC.exec(source);
  if (literal !== null) {
    const value = literal[1]!;
    return () => value;
  }
  const method =
    /^method\.request\.(header|multivalueheader|querystring|multivaluequerystring|path)\.(.+)$/.exec(
      source,
    );
  if (method !== null) return methodSource(method[1]!, method[2]!);
  return contextSource(source);
}

function methodSource(where: string, name: string): ValueSource {
  switch (where) {
    case 'header':
    case 'multivalueheader': {
      const lower = name.toLowerCase();
      return (input) => input.ex.header(lower);
    }
    case 'querystring':
      return (input) => input.query().get(name) ?? undefined;
    case 'multivaluequerystring':
      return (input) => {
        const all = input.query().getAll(name);
        return all.length === 0 ? undefined : all.join(',');
      };
    default:
      return (input) => input.ex.gateway.pathParameters?.[name];
  }
}

/** `context.*` variables a local gateway knows. */
function contextSource(source: string): ValueSource | undefined {
  switch (source) {
    case 'context.requestId':
      return (input) => input.ex.gateway.requestId;
    case 'context.stage':
      return (input) => input.ex.gateway.stage;
    case 'context.identity.sourceIp':
      return (input) => input.ex.ip;
    case 'context.httpMethod':
      return (input) => input.ex.method;
    case 'context.resourcePath':
      return (input) => input.ex.gateway.resourcePath;
  }
  const authorizer = /^context\.authorizer\.(.+)$/.exec(source);
  if (authorizer === null) return undefined;
  const key = authorizer[1]!;
  return (input) => {
    const principal = input.ex.gateway.principal;
    if (principal === undefined) return undefined;
    if (key === 'principalId') return principal.id;
    const value = principal.context?.[key] ?? principal.claims?.[key];
    return value === undefined ? undefined : String(value);
  };
}

/** One response header mapping: a static value, or an integration response header copied. */
export type ResponseMapping = readonly [
  name: string,
  from: { readonly value: string } | { readonly header: string },
];

/** Compiles `responseParameters` of one response. Unsupported ones are reported. */
export function compileResponseMappings(
  parameters: unknown,
  pointer: string,
  findings: Findings,
): ResponseMapping[] {
  if (parameters === undefined) return [];
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))
    throw findings.error(pointer, 'responseParameters must be an object');
  const out: ResponseMapping[] = [];
  for (const [target, source] of Object.entries(parameters)) {
    const here = childPointer(pointer, target);
    const to = /^method\.response\.header\.(.+)$/.exec(target);
    const literal = typeof source === 'string' ? STATIC.exec(source) : null;
    const header =
      typeof source === 'string' ? /^integration\.response\.header\.(.+)$/.exec(source) : null;
    if (to !== null && unmappable(findings, here, to[1]!.toLowerCase())) continue;
    if (to !== null && literal !== null) out.push([to[1]!.toLowerCase(), { value: literal[1]! }]);
    else if (to !== null && header !== null)
      out.push([to[1]!.toLowerCase(), { header: header[1]!.toLowerCase() }]);
    else findings.add(here, `mapping ${target} = ${JSON.stringify(source)} is not supported`);
  }
  return out;
}

/** Applies response mappings to the response about to be written (integration headers are on it). */
export function applyResponseMappings(ex: Exchange, mappings: readonly ResponseMapping[]): void {
  for (const [name, from] of mappings) {
    if ('value' in from) ex.setHeader(name, from.value);
    else {
      const value = ex.getHeader(from.header);
      if (value !== undefined) ex.setHeader(name, value as string | string[]);
    }
  }
}
