/** `gateway.openapi()`: an OpenAPI 3 document with API Gateway's extensions, run as one middleware. */

import { createMiddleware } from '../../adapters/universal.js';
import { sendGatewayError } from '../../core/errors.js';
import type { CoreHandler, Exchange, Next } from '../../core/exchange.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import { compose } from '../pipeline/compose.js';
import type { UsagePlansMiddleware } from '../usage-plans/index.js';
import { type CompiledApi, compileApi } from './compile.js';
import { loadOpenApiDocument } from './document.js';
import { useGatewayResponses } from './gateway-responses.js';
import { type OpenApiConfig, type OpenApiOptions, resolveOpenApiOptions } from './options.js';
import { Findings } from './report.js';
import { DEFAULT_STAGE, servedByCanary } from './stages.js';

/** What `openapi()` returns besides being a middleware. */
export interface OpenApiExtras {
  /** The usage plans behind the document's API keys (`createKey`, ...), when it requires keys. */
  readonly usagePlans: UsagePlansMiddleware | undefined;
  /** Ends kept-alive upstream connections (at shutdown). */
  close(): void;
}

export type OpenApiMiddleware = GatewayMiddleware & OpenApiExtras;

/** The extensions another part of the gateway runs, wired in here. */
const WIRED = new Set(['request-validators', 'request-validator', 'policy', 'gateway-responses']);

/**
 * Runs an OpenAPI 3 document with API Gateway's extensions: routes by its paths and runs, per
 * operation, the pieces it declares in API Gateway's order (CORS → resource policy → authorizer
 * / API key → throttle and quota → request validation → cache → integration), compiled once at
 * start-up. `document` is an object or the path of a `.json`, `.yaml` or `.yml` file.
 *
 * @example
 * app.use(gateway.openapi('api.yaml', { stages: { prod: { variables: { backend: 'api.internal' } } } }));
 */
export function openapi(document: object | string, options?: OpenApiOptions): OpenApiMiddleware {
  const config = resolveOpenApiOptions(options);
  const loaded = loadOpenApiDocument(document);
  const findings = new Findings(loaded.source, WIRED);
  findings.scanExtensions(loaded.document);
  const api = compileApi(loaded.document, config, findings);
  findings.finish(config.strict, config.onUnsupported);
  return createMiddleware('openapi', dispatcher(api, config), {
    usagePlans: api.usagePlans,
    close: () => api.forwarder.close(),
  });
}

/**
 * The request is the API's to answer: its refusals (and its pieces') take the document's
 * gateway responses. Installed only then, never on a request handed on to the app.
 */
function answeredByApi(ex: Exchange, api: CompiledApi): void {
  if (api.gatewayResponses !== undefined) useGatewayResponses(ex, api.gatewayResponses);
}

function unmatchedHandler(config: OpenApiConfig, api: CompiledApi): CoreHandler {
  if (config.unmatched === 'next') return (_ex, next) => next();
  return (ex) => {
    answeredByApi(ex, api);
    sendGatewayError(ex, 'missingAuthenticationToken');
  };
}

/** The per-request part: stage, route, canary, context, then the operation's composed pieces. */
function dispatcher(api: CompiledApi, config: OpenApiConfig): CoreHandler {
  const unmatched = unmatchedHandler(config, api);
  // A method the path lacks still gets its CORS answer (a preflight above all).
  const missingMethod = api.cors === undefined ? unmatched : compose([api.cors, unmatched]);
  const staged = config.stages !== undefined;
  const rootStage = staged ? undefined : api.stages.get(DEFAULT_STAGE);
  return function openapi(ex: Exchange, next: Next) {
    let path = ex.path;
    let stage = rootStage;
    if (staged) {
      const end = path.indexOf('/', 1);
      stage = api.stages.get(end === -1 ? path.slice(1) : path.slice(1, end));
      path = end === -1 ? '/' : path.slice(end);
    }
    if (stage === undefined) return unmatched(ex, next);
    const method = ex.method;
    const match = api.router.match(path, method);
    if (match === 'malformed') {
      answeredByApi(ex, api);
      return sendGatewayError(ex, 'badRequest');
    }
    if (match === 'none') return unmatched(ex, next);
    const table = match.resource.value;
    const op = table.methods.get(method) ?? table.any;
    if (op === undefined) return missingMethod(ex, next);
    answeredByApi(ex, api);
    const canary = stage.canary !== -1 && servedByCanary(ex, stage, api.keyHeader);
    const variant = canary ? stage.canary : stage.main;
    const gateway = ex.gateway;
    gateway.stage = stage.name;
    gateway.canary = canary;
    gateway.stageVariables = api.variants[variant]!.variables;
    gateway.pathParameters = match.pathParameters;
    gateway.resourcePath = match.resource.path;
    return api.handlers[variant]![op]!(ex, next);
  };
}
