/**
 * The values a gateway response may use (`$context.error.message`, `method.request.header.x`,
 * ...) and its body templates, parsed once into literal text and value readers.
 */

import type { GatewayErrorInfo } from '../../core/context.js';
import type { Exchange } from '../../core/exchange.js';
import { originForm, pathEnd, queryOf, searchParams } from '../../core/target.js';

/** Reads one value for a refusal; undefined when the request has none. */
export type ValueReader = (ex: Exchange, error: GatewayErrorInfo) => string | undefined;

/** A template as parsed: literal text and readers, in order. */
export type TemplatePart = string | ValueReader;

/**
 * A start-up error in a gateway response: `pointer` says where, `detail` what, so that a caller
 * can report it in its own words (with the document's name) as well as throw it.
 */
export class GatewayResponseError extends Error {
  readonly pointer: string;
  readonly detail: string;
  constructor(pointer: string, detail: string) {
    super(`portcullis.openapi: x-amazon-apigateway-gateway-responses: ${pointer}: ${detail}`);
    this.name = 'GatewayResponseError';
    this.pointer = pointer;
    this.detail = detail;
  }
}

const asText = (value: unknown): string | undefined =>
  value === undefined || value === null ? undefined : String(value);

/** `$context.*` variables API Gateway offers gateway responses, as far as a local gateway knows them. */
const CONTEXT_READERS: Readonly<Record<string, ValueReader>> = {
  'error.message': (_ex, error) => error.message,
  // The message as a JSON string, quotes included: `{"message":$context.error.messageString}`.
  'error.messageString': (_ex, error) => JSON.stringify(error.message),
  'error.responseType': (_ex, error) => error.responseType,
  // API Gateway fills it for BAD_REQUEST_BODY with the schema errors; ours are not kept.
  'error.validationErrorString': () => undefined,
  requestId: (ex) => ex.gateway.requestId,
  extendedRequestId: (ex) => ex.gateway.requestId,
  stage: (ex) => ex.gateway.stage,
  resourcePath: (ex) => ex.gateway.resourcePath,
  httpMethod: (ex) => ex.method,
  path: (ex) => {
    // The path as the router reads it: an absolute-form target's authority is not part of it.
    const target = originForm(ex.originalUrl);
    return target.slice(0, pathEnd(target));
  },
  domainName: (ex) => ex.header('host'),
  'identity.sourceIp': (ex) => ex.ip,
  'identity.userAgent': (ex) => ex.header('user-agent'),
  'authorizer.principalId': (ex) => ex.gateway.principal?.id,
};

/** The query parameter `name` of the request (its first value), decoded. */
function queryParameter(ex: Exchange, name: string): string | undefined {
  const query = queryOf(ex.originalUrl);
  if (query === undefined) return undefined;
  return searchParams(query).get(name) ?? undefined;
}

/** `authorizer.claims.sub` (a JWT claim) or `authorizer.name` (a Lambda authorizer's context). */
function authorizerReader(path: string): ValueReader {
  if (path.startsWith('claims.')) {
    const claim = path.slice('claims.'.length);
    return (ex) => asText(ex.gateway.principal?.claims?.[claim]);
  }
  return (ex) => asText(ex.gateway.principal?.context?.[path]);
}

/**
 * The reader of a dotted reference as API Gateway spells it in mappings and templates:
 * `context.x`, `stageVariables.x`, `method.request.{header,querystring,path}.x`. Throws a
 * message (without the pointer) for anything else.
 */
export function readerOf(reference: string): ValueReader {
  const dot = reference.indexOf('.');
  const root = dot === -1 ? reference : reference.slice(0, dot);
  const rest = dot === -1 ? '' : reference.slice(dot + 1);
  if (root === 'context') {
    const reader = CONTEXT_READERS[rest];
    if (reader !== undefined) return reader;
    if (rest.startsWith('authorizer.') && rest.length > 'authorizer.'.length)
      return authorizerReader(rest.slice('authorizer.'.length));
  }
  if (root === 'stageVariables' && rest !== '' && !rest.includes('.'))
    return (ex) => ex.gateway.stageVariables?.[rest];
  const parameter = /^request\.(header|querystring|path)\.([^.]+)$/.exec(rest);
  if (root === 'method' && parameter !== null) {
    const name = parameter[2]!;
    if (parameter[1] === 'header') {
      const lower = name.toLowerCase();
      return (ex) => ex.header(lower);
    }
    if (parameter[1] === 'querystring') return (ex) => queryParameter(ex, name);
    return (ex) => ex.gateway.pathParameters?.[name];
  }
  if (root === 'input' || root === 'util')
    throw new Error(`"${reference}" is VTL, which gateway response templates do not run`);
  throw new Error(`"${reference}" is not a value a gateway response can use`);
}

/**
 * A reference (`$name.path`, `${name.path}`, quiet `$!...`) or a VTL directive (`#if`, `#set`,
 * `#foreach`, ..., `##` and `#*` comments). A `$` or `#` followed by anything else is text.
 */
const TOKEN =
  /\$!?\{([^}]*)\}|\$!?([A-Za-z][\w-]*(?:\.[A-Za-z0-9_-]+)*)(\()?|#(?:#|\*|\{|(?:set|if|elseif|else|end|foreach|break|stop|include|parse|evaluate|define|macro)\b)/g;

/**
 * Parses a gateway response template once: API Gateway substitutes variables in it and runs no
 * VTL, so a directive or a method call is refused here rather than sent as text.
 */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of template.matchAll(TOKEN)) {
    const [token, braced, bare, call] = match;
    if (token.startsWith('#'))
      throw new Error(`"${token}": VTL directives are not run in gateway response templates`);
    if (call !== undefined)
      throw new Error(`"${token}": method calls are not run in gateway response templates`);
    pushText(parts, template.slice(last, match.index));
    parts.push(readerOf((braced ?? bare!).trim()));
    last = match.index + token.length;
  }
  pushText(parts, template.slice(last));
  return parts;
}

function pushText(parts: TemplatePart[], text: string): void {
  if (text === '') return;
  // A "${" that TOKEN did not take as a reference has no closing brace.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the message quotes the template's text.
  if (/\$!?\{/.test(text)) throw new Error('"${" without its closing "}"');
  parts.push(text);
}

/** Renders parsed parts for one refusal: a value the request lacks renders as nothing. */
export function renderTemplate(
  parts: readonly TemplatePart[],
  ex: Exchange,
  error: GatewayErrorInfo,
): string {
  let text = '';
  for (const part of parts) text += typeof part === 'string' ? part : (part(ex, error) ?? '');
  return text;
}
