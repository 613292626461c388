/** `gateway.openapi()`: an OpenAPI 3 document with API Gateway's extensions, run as one middleware. */

import { createMiddleware } from '../../adapters/universal.js';
import { sendGatewayError } from '../../core/errors.js';
import type { CoreHandler, Exchange, Next } from '../../core/exchange.js';
import { coreHandlerOf, type GatewayMiddleware } from '../../core/middleware.js';
import { cors } from '../cors/index.js';
import { compose } from '../pipeline/compose.js';
import type { UsagePlansMiddleware } from '../usage-plans/index.js';
import { aroundChargeOf } from '../usage-plans/usage-plans.js';
import { corsOptionsOf } from './cors.js';
import { Forwarder } from './forwarder.js';
import { compileIntegration } from './integrations.js';
import { type Operation, operationsOf } from './operations.js';
import { type OpenApiConfig, type OpenApiOptions, resolveOpenApiOptions } from './options.js';
import { Findings, under } from './report.js';
import { isObject } from './responses.js';
import { Router } from './router.js';
import { SecurityCompiler } from './security.js';
import {
  compileStages,
  DEFAULT_STAGE,
  type Stage,
  StageCaches,
  servedByCanary,
  type Variant,
} from './stages.js';

/** What `openapi()` returns besides being a middleware. */
export interface OpenApiExtras {
  /** The usage plans behind the document's API keys (`createKey`, ...), when it requires keys. */
  readonly usagePlans: UsagePlansMiddleware | undefined;
  /** Ends kept-alive upstream connections (at shutdown). */
  close(): void;
}

export type OpenApiMiddleware = GatewayMiddleware & OpenApiExtras;

/** A resource's operations: by method, the `ANY` one, and the answer for any other method. */
interface ResourceTable {
  readonly methods: ReadonlyMap<string, number>;
  readonly any: number | undefined;
}

/**
 * Runs an OpenAPI 3 document with API Gateway's extensions: routes by its paths and runs, per
 * operation, the pieces it declares in API Gateway's order (CORS → authorizer / API key →
 * throttle and quota → cache → integration), compiled once at start-up.
 *
 * @example
 * app.use(gateway.openapi(document, { stages: { prod: { variables: { backend: 'api.internal' } } } }));
 */
export function openapi(
  document: Record<string, unknown>,
  options?: OpenApiOptions,
): OpenApiMiddleware {
  const config = resolveOpenApiOptions(options);
  if (!isObject(document))
    throw new TypeError('portcullis.openapi: the document must be an object');
  const findings = new Findings('<object>', new Set());
  findings.scanExtensions(document);
  const api = compileApi(document, config, findings);
  findings.finish(config.strict, config.onUnsupported);
  return createMiddleware('openapi', dispatcher(api, config), {
    usagePlans: api.usagePlans,
    close: () => api.forwarder.close(),
  });
}

interface CompiledApi {
  readonly router: Router<ResourceTable>;
  readonly stages: ReadonlyMap<string, Stage>;
  readonly variants: readonly Variant[];
  /** `handlers[variant][operation]`. */
  readonly handlers: ReadonlyArray<readonly CoreHandler[]>;
  readonly operations: readonly Operation[];
  /** What a matched path answers for a method it does not define (CORS first, when configured). */
  readonly missingMethod: CoreHandler;
  readonly usagePlans: UsagePlansMiddleware | undefined;
  readonly keyHeader: string;
  readonly forwarder: Forwarder;
}

function compileApi(
  document: Record<string, unknown>,
  config: OpenApiConfig,
  findings: Findings,
): CompiledApi {
  const operations = operationsOf(document, findings);
  const router = new Router<ResourceTable>(
    (path) => under('/paths', path),
    (table, method) => table.any !== undefined || table.methods.has(method),
  );
  const tables = new Map<string, { methods: Map<string, number>; any: number | undefined }>();
  operations.forEach((op, i) => {
    let table = tables.get(op.path);
    if (table === undefined) {
      table = { methods: new Map(), any: undefined };
      tables.set(op.path, table);
    }
    if (op.method === 'ANY') table.any = i;
    else table.methods.set(op.method, i);
  });
  for (const [path, table] of tables) router.add(path, table);

  const { stages, variants } = compileStages(config);
  const security = new SecurityCompiler(document, config, findings);
  const forwarder = new Forwarder();
  const corsOptions = corsOptionsOf(document['x-amazon-apigateway-cors'], findings);
  const corsHandler = corsOptions === undefined ? undefined : coreHandlerOf(cors(corsOptions))!;
  const unmatched = unmatchedHandler(config);
  const stageByName = new Map(stages.map((stage) => [stage.name, stage]));
  const shared: Shared = {
    document,
    security,
    forwarder,
    findings,
    corsHandler,
    caches: new StageCaches(),
  };
  const handlers = variants.map((variant) =>
    operations.map((op) => compileOperation(op, variant, stageByName.get(variant.stage)!, shared)),
  );
  return {
    router,
    stages: stageByName,
    variants,
    handlers,
    operations,
    missingMethod: corsHandler === undefined ? unmatched : compose([corsHandler, unmatched]),
    usagePlans: security.usagePlans,
    keyHeader: security.keyHeader,
    forwarder,
  };
}

interface Shared {
  readonly document: Record<string, unknown>;
  readonly security: SecurityCompiler;
  readonly forwarder: Forwarder;
  readonly findings: Findings;
  readonly corsHandler: CoreHandler | undefined;
  readonly caches: StageCaches;
}

/**
 * The request headers an integration's `cacheKeyParameters` add to the cache key. Path
 * parameters and the query are in every key already.
 */
function cacheKeyHeaders(
  operation: Record<string, unknown>,
  pointer: string,
  findings: Findings,
): string[] {
  const integration = operation['x-amazon-apigateway-integration'];
  const listed = isObject(integration) ? integration.cacheKeyParameters : undefined;
  if (!Array.isArray(listed)) return [];
  const headers: string[] = [];
  listed.forEach((parameter, i) => {
    const header = /^method\.request\.header\.(.+)$/.exec(String(parameter));
    if (header !== null) headers.push(header[1]!.toLowerCase());
    else if (
      !/^method\.request\.(path|querystring|multivaluequerystring)\./.test(String(parameter))
    )
      findings.add(
        under(pointer, 'x-amazon-apigateway-integration', 'cacheKeyParameters', i),
        `${String(parameter)} cannot join the cache key`,
      );
  });
  return headers.sort();
}

/** One operation's pieces for one variant, composed once: API Gateway's order. */
function compileOperation(
  op: Operation,
  variant: Variant,
  stage: Stage,
  shared: Shared,
): CoreHandler {
  const { operation, pointer } = op;
  const requirements = operation.security ?? shared.document.security;
  const securityPointer =
    operation.security === undefined ? '/security' : under(pointer, 'security');
  const { auth, apiKey } = shared.security.forOperation(
    requirements,
    securityPointer,
    variant.stage,
  );
  const greedy = /\{([^{}]+)\+\}$/.exec(op.path)?.[1];
  const integration = compileIntegration({
    integration: operation['x-amazon-apigateway-integration'],
    pointer: under(pointer, 'x-amazon-apigateway-integration'),
    method: op.method,
    greedy,
    stage: variant.stage,
    variables: variant.variables,
    findings: shared.findings,
    forwarder: shared.forwarder,
    lambda: undefined,
  });
  const pieces: CoreHandler[] = [];
  if (shared.corsHandler !== undefined) pieces.push(shared.corsHandler);
  pieces.push(...auth);
  const plans = apiKey ? shared.security.usagePlans : undefined;
  if (plans !== undefined) {
    // The key is checked first; the stage throttle runs inside the plan's charge, so that a
    // request it refuses is never counted against the key's quota (as `pipeline()` does).
    const around = aroundChargeOf(plans)!;
    pieces.push(stage.throttle === undefined ? coreHandlerOf(plans)! : around(stage.throttle));
  } else if (stage.throttle !== undefined) pieces.push(stage.throttle);
  const cacheHandler = shared.caches.handlerFor(
    stage,
    variant,
    cacheKeyHeaders(operation, pointer, shared.findings),
  );
  if (cacheHandler !== undefined) pieces.push(cacheHandler);
  pieces.push(integration);
  return compose(pieces);
}

function unmatchedHandler(config: OpenApiConfig): CoreHandler {
  if (config.unmatched === 'next') return (_ex, next) => next();
  return (ex) => sendGatewayError(ex, 'missingAuthenticationToken');
}

/** The per-request part: stage, route, canary, context, then the operation's composed pieces. */
function dispatcher(api: CompiledApi, config: OpenApiConfig): CoreHandler {
  const unmatched = unmatchedHandler(config);
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
    if (match === 'malformed') return sendGatewayError(ex, 'badRequest');
    if (match === 'none') return unmatched(ex, next);
    const table = match.resource.value;
    const op = table.methods.get(method) ?? table.any;
    if (op === undefined) return api.missingMethod(ex, next);
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
