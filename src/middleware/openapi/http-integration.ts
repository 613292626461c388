/**
 * `http_proxy` and `http` integrations, forwarded by `gateway.proxy`: the `uri` with its variables
 * filled in per request, API Gateway's request mappings, and for `http` the method response
 * chosen by the upstream status.
 */

import { sendGatewayError } from '../../core/errors.js';
import type { CoreHandler, Exchange, Next } from '../../core/exchange.js';
import { queryOf } from '../../core/target.js';
import type { IntegrationContext } from './integration-context.js';
import {
  applyResponseMappings,
  compileRequestMappings,
  MappingInput,
  type RequestMappings,
  withStageVariables,
} from './mappings.js';
import { childPointer } from './refs.js';
import type { Findings } from './report.js';
import {
  compileResponses,
  type IntegrationResponse,
  isObject,
  selectResponse,
  VTL,
} from './responses.js';

/** A URI's parts: its origin, its path as literals and variables, its own query. */
interface UriTemplate {
  readonly origin: string;
  readonly parts: ReadonlyArray<string | { readonly name: string }>;
  readonly query: string;
}

const URI = /^(https?:\/\/[^/?#]+)([^?#]*)(?:\?([^#]*))?$/i;
const VARIABLE = /\{([^{}+]+)\+?\}/g;

function parseUri(uri: string, pointer: string, findings: Findings): UriTemplate {
  const parsed = URI.exec(uri);
  if (parsed === null)
    throw findings.error(pointer, `uri ${JSON.stringify(uri)} is not an http(s) URL`);
  const [, origin, path = '', query = ''] = parsed as unknown as [string, string, string?, string?];
  try {
    new URL(origin!);
  } catch {
    throw findings.error(pointer, `uri ${JSON.stringify(uri)} has no valid host`);
  }
  const parts: Array<string | { name: string }> = [];
  let last = 0;
  for (const found of path.matchAll(VARIABLE)) {
    parts.push(path.slice(last, found.index));
    parts.push({ name: found[1]! });
    last = found.index! + found[0].length;
  }
  parts.push(path.slice(last) || (parts.length === 0 ? '/' : ''));
  return { origin: origin!, parts, query };
}

/** How a URI variable gets its value per request, and whether slashes in it are separators. */
interface UriVariable {
  readonly source: (input: MappingInput) => string | undefined;
  readonly greedy: boolean;
}

export function compileHttp(
  integration: Record<string, unknown>,
  type: 'http' | 'http_proxy',
  context: IntegrationContext,
): CoreHandler {
  const { pointer, findings } = context;
  reportHttpExtras(integration, context);
  if (type === 'http' && String(integration.passthroughBehavior).toUpperCase() === 'NEVER')
    findings.add(
      childPointer(pointer, 'passthroughBehavior'),
      'NEVER: the body is passed through, where API Gateway answers 415 to a content type without a mapping template',
    );
  const rawUri = typeof integration.uri === 'string' ? integration.uri : undefined;
  if (rawUri === undefined) throw findings.error(childPointer(pointer, 'uri'), 'must be a URL');
  const uri = parseUri(
    withStageVariables(
      rawUri,
      context.variables,
      context.stage,
      childPointer(pointer, 'uri'),
      findings,
    ),
    childPointer(pointer, 'uri'),
    findings,
  );
  const parameters = substituted(integration.requestParameters, context);
  const mappings = compileRequestMappings(
    parameters,
    childPointer(pointer, 'requestParameters'),
    findings,
  );
  const variables = uriVariables(uri, mappings, parameters, context);
  const responses =
    type === 'http'
      ? compileResponses(integration.responses, childPointer(pointer, 'responses'), findings)
      : [];
  const timeout = integration.timeoutInMillis;
  const forward = context.forwarder.forwardTo(
    uri.origin,
    typeof timeout === 'number' ? timeout : undefined,
    childPointer(pointer, 'timeoutInMillis'),
    findings,
  );
  const proxied = type === 'http_proxy';
  return function httpIntegration(ex: Exchange, next: Next) {
    const input = new MappingInput(ex);
    const base = upstreamPath(uri, variables, input);
    const headers = upstreamHeaders(ex, mappings, input, proxied);
    // A mapped value that would leave the uri's path or that no header can carry.
    if (base === undefined || headers === null) return sendGatewayError(ex, 'badRequest');
    const path = base + upstreamQuery(uri, mappings, input, proxied);
    if (responses.length > 0) ex.onHeaders(mapResponse, responses);
    return forward(ex, next, path, headers);
  };
}

/** Integration settings a local proxy does not honour: reported, never silently dropped. */
function reportHttpExtras(integration: Record<string, unknown>, context: IntegrationContext): void {
  const { pointer, findings } = context;
  const method =
    typeof integration.httpMethod === 'string' ? integration.httpMethod.toUpperCase() : 'ANY';
  if (method !== 'ANY' && method !== context.method)
    findings.add(
      childPointer(pointer, 'httpMethod'),
      `${method} upstream for a ${context.method} method: forwarded with the client's method`,
    );
  if (integration.connectionType === 'VPC_LINK')
    findings.add(
      childPointer(pointer, 'connectionType'),
      'VPC_LINK: forwarded to the uri directly',
    );
  if (isObject(integration.requestTemplates))
    for (const [type, template] of Object.entries(integration.requestTemplates))
      if (typeof template === 'string' && VTL.test(template))
        findings.add(
          childPointer(pointer, 'requestTemplates', type),
          'mapping template with Velocity (VTL): the body is passed through',
        );
  for (const key of ['contentHandling', 'tlsConfig', 'credentials'])
    if (integration[key] !== undefined)
      findings.add(childPointer(pointer, key), `${key} is not supported`);
}

/** `requestParameters` with stage variables substituted in their sources. */
function substituted(parameters: unknown, context: IntegrationContext): unknown {
  if (!isObject(parameters)) return parameters;
  const out: Record<string, unknown> = {};
  for (const [target, source] of Object.entries(parameters))
    out[target] =
      typeof source === 'string' && source.startsWith('stageVariables.')
        ? `'${withStageVariables(`\${${source}}`, context.variables, context.stage, childPointer(context.pointer, 'requestParameters', target), context.findings)}'`
        : source;
  return out;
}

/**
 * Each variable of the URI's path: its `integration.request.path.x` mapping, else the method's
 * path parameter of that name (API Gateway's proxy resources). A variable fed by the resource's
 * greedy parameter keeps its slashes as separators; any other is encoded whole (a `%2F` the
 * client sent stays inside it).
 */
function uriVariables(
  uri: UriTemplate,
  mappings: RequestMappings,
  parameters: unknown,
  context: IntegrationContext,
): ReadonlyMap<string, UriVariable> {
  const out = new Map<string, UriVariable>();
  for (const part of uri.parts) {
    if (typeof part === 'string') continue;
    const { name } = part;
    const mapped = mappings.path.get(name);
    const raw = isObject(parameters) ? parameters[`integration.request.path.${name}`] : undefined;
    const from = typeof raw === 'string' ? /^method\.request\.path\.(.+)$/.exec(raw)?.[1] : name;
    const greedy = from !== undefined && from === context.greedy;
    out.set(name, {
      greedy,
      source: mapped ?? ((input) => input.ex.gateway.pathParameters?.[name]),
    });
  }
  return out;
}

/**
 * The uri's path with its variables filled in, or undefined when a value (or, for a greedy
 * one, a piece between its slashes) is a dot segment: the upstream would resolve it to a path
 * outside the uri's. The router never captures one, but a decoded `%2F` inside a greedy
 * parameter (`..%2Fadmin`) and a value mapped from the query or a header can hold one.
 */
function upstreamPath(
  uri: UriTemplate,
  variables: ReadonlyMap<string, UriVariable>,
  input: MappingInput,
): string | undefined {
  let path = '';
  for (const part of uri.parts) {
    if (typeof part === 'string') {
      path += part;
      continue;
    }
    const variable = variables.get(part.name)!;
    const value = variable.source(input) ?? '';
    const pieces = variable.greedy ? value.split('/') : [value];
    if (pieces.some(isDotSegment)) return undefined;
    path += pieces.map(encodeURIComponent).join('/');
  }
  return path;
}

const isDotSegment = (piece: string): boolean => piece === '.' || piece === '..';

/** The query sent: the URI's own, the client's (proxy integrations), then the mapped parameters. */
function upstreamQuery(
  uri: UriTemplate,
  mappings: RequestMappings,
  input: MappingInput,
  proxied: boolean,
): string {
  const parts: string[] = [];
  if (uri.query !== '') parts.push(uri.query);
  if (proxied) {
    // The client's query as the router read it: a fragment is neither forwarded nor read as one.
    const query = queryOf(input.ex.url);
    if (query !== undefined && query !== '') parts.push(query);
  }
  if (mappings.query.length > 0) {
    const mapped = new URLSearchParams();
    for (const [name, source] of mappings.query) {
      const value = source(input);
      if (value !== undefined) mapped.append(name, value);
    }
    const text = mapped.toString();
    if (text !== '') parts.push(text);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/**
 * The mapped headers to send, or undefined to forward the client's as they are (a proxy
 * integration without header mappings). A non-proxy integration sends only what is mapped, as
 * API Gateway does, besides the body's framing and type. Null when a mapped value is not a valid
 * header value (a CR/LF or a character beyond Latin-1 decoded from the query).
 */
function upstreamHeaders(
  ex: Exchange,
  mappings: RequestMappings,
  input: MappingInput,
  proxied: boolean,
): Record<string, string> | undefined | null {
  if (proxied && mappings.headers.length === 0) return undefined;
  const headers: Record<string, string> = {};
  if (proxied) {
    for (const [name, value] of Object.entries(ex.req.headers))
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  } else {
    for (const name of BODY_HEADERS) {
      const value = ex.header(name);
      if (value !== undefined) headers[name] = value;
    }
  }
  for (const [name, source] of mappings.headers) {
    const value = source(input);
    if (value === undefined) continue;
    if (!HEADER_VALUE.test(value)) return null;
    headers[name] = value;
  }
  return headers;
}

/** What Node (and RFC 9110's field-value) lets a header carry. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const BODY_HEADERS = ['content-type', 'content-length', 'transfer-encoding', 'host'];

/**
 * The method response of a non-proxy integration, chosen by the upstream's status: its status
 * and header mappings. The gateway's own answers (502, 504) are left as they are.
 */
function mapResponse(ex: Exchange, responses: readonly IntegrationResponse[]): void {
  if (ex.gateway.error !== undefined) return;
  const response = selectResponse(responses, ex.res.statusCode);
  if (response === undefined) return;
  applyResponseMappings(ex, response.mappings);
  ex.res.statusCode = response.status;
}
