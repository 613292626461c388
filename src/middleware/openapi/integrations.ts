/**
 * `x-amazon-apigateway-integration`, compiled per operation and stage: `mock`, `http_proxy` and
 * `http` (forwarded by `gateway.proxy`), `aws_proxy` (a Lambda handler in-process). What is not
 * run as written is reported with its pointer.
 */

import { sendGatewayError } from '../../core/errors.js';
import type { CoreHandler, Exchange, Next } from '../../core/exchange.js';
import type { Forwarder } from './forwarder.js';
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

/** What an integration is compiled with: where it is, for which stage, and the shared parts. */
export interface IntegrationContext {
  readonly integration: unknown;
  readonly pointer: string;
  /** The operation's method (upper case), `ANY` for `x-amazon-apigateway-any-method`. */
  readonly method: string;
  /** The resource's greedy path variable, if any. */
  readonly greedy: string | undefined;
  readonly stage: string;
  readonly variables: Readonly<Record<string, string>>;
  readonly findings: Findings;
  readonly forwarder: Forwarder;
  /** Builds the Lambda integration, when a Lambda piece is available. */
  readonly lambda:
    | ((integration: Record<string, unknown>, pointer: string) => CoreHandler)
    | undefined;
}

/** The integration's handler, the last of the operation's pieces. */
export function compileIntegration(context: IntegrationContext): CoreHandler {
  const { integration, pointer, findings } = context;
  // Without an integration the operation's pieces run and the app's own route answers.
  if (integration === undefined) return (_ex, next) => next();
  if (!isObject(integration)) throw findings.error(pointer, 'must be an object');
  const type = String(integration.type ?? '').toLowerCase();
  switch (type) {
    case 'mock':
      return compileMock(integration, context);
    case 'http_proxy':
    case 'http':
      return compileHttp(integration, type, context);
    case 'aws_proxy':
      if (context.lambda !== undefined) return context.lambda(integration, pointer);
      findings.add(childPointer(pointer, 'type'), 'aws_proxy: no Lambda integration in this build');
      return failing;
    default:
      findings.add(
        childPointer(pointer, 'type'),
        `integration type ${JSON.stringify(integration.type)} is not supported`,
      );
      return failing;
  }
}

/** What an integration that cannot run answers: API Gateway's 500 for a broken integration. */
const failing: CoreHandler = (ex) =>
  sendGatewayError(ex, 'internalError', undefined, 'INTEGRATION_FAILURE');

/** The integration status a mock's request template names: `{"statusCode": 200}`. */
const STATUS_CODE = /"statusCode"\s*:\s*(\d{3})/;

function compileMock(
  integration: Record<string, unknown>,
  context: IntegrationContext,
): CoreHandler {
  const { pointer, findings } = context;
  const templates = isObject(integration.requestTemplates) ? integration.requestTemplates : {};
  const template = templates['application/json'] ?? Object.values(templates)[0];
  let status = 200;
  if (typeof template === 'string') {
    const found = STATUS_CODE.exec(template);
    if (found !== null) status = Number(found[1]);
    const stripped = template.replace(STATUS_CODE, '');
    if (VTL.test(stripped) || found === null)
      findings.add(
        childPointer(pointer, 'requestTemplates'),
        'mock request template beyond {"statusCode": N}: status 200 assumed unless one is found',
      );
  }
  const responses = compileResponses(
    integration.responses,
    childPointer(pointer, 'responses'),
    findings,
  );
  const response = selectResponse(responses, status);
  const answer = mockAnswer(response, status, context);
  return function mock(ex: Exchange): void {
    for (const [name, value] of answer.headers) ex.setHeader(name, value);
    ex.respond(answer.status, answer.body);
  };
}

interface MockAnswer {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string | null;
}

/** A mock's answer is the same for every request: computed once. */
function mockAnswer(
  response: IntegrationResponse | undefined,
  integrationStatus: number,
  context: IntegrationContext,
): MockAnswer {
  if (response === undefined) return { status: integrationStatus, headers: [], body: null };
  const headers: Array<readonly [string, string]> = [];
  for (const [name, from] of response.mappings) {
    if ('value' in from)
      headers.push([
        name,
        withStageVariables(
          from.value,
          context.variables,
          context.stage,
          context.pointer,
          context.findings,
        ),
      ]);
    else
      context.findings.add(
        childPointer(context.pointer, 'responses'),
        `a mock has no integration header ${from.header} to map`,
      );
  }
  const template =
    response.templates.find(([type]) => type === 'application/json') ?? response.templates[0];
  if (template === undefined) return { status: response.status, headers, body: null };
  if (!headers.some(([name]) => name === 'content-type'))
    headers.push(['content-type', template[0]]);
  return { status: response.status, headers, body: template[1] };
}

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

function compileHttp(
  integration: Record<string, unknown>,
  type: 'http' | 'http_proxy',
  context: IntegrationContext,
): CoreHandler {
  const { pointer, findings } = context;
  reportHttpExtras(integration, context);
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
    const path = upstreamPath(uri, variables, input) + upstreamQuery(uri, mappings, input, proxied);
    const headers = upstreamHeaders(ex, mappings, input, proxied);
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

function upstreamPath(
  uri: UriTemplate,
  variables: ReadonlyMap<string, UriVariable>,
  input: MappingInput,
): string {
  let path = '';
  for (const part of uri.parts) {
    if (typeof part === 'string') {
      path += part;
      continue;
    }
    const variable = variables.get(part.name)!;
    const value = variable.source(input) ?? '';
    path += variable.greedy
      ? value.split('/').map(encodeURIComponent).join('/')
      : encodeURIComponent(value);
  }
  return path;
}

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
    const url = input.ex.url;
    const q = url.indexOf('?');
    if (q !== -1 && q < url.length - 1) parts.push(url.slice(q + 1));
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
 * API Gateway does, besides the body's framing and type.
 */
function upstreamHeaders(
  ex: Exchange,
  mappings: RequestMappings,
  input: MappingInput,
  proxied: boolean,
): Record<string, string> | undefined {
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
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

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
