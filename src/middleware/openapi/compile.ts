/**
 * The start-up half of `openapi()`: the document compiled into a router, the stages and their
 * variants, and each operation's pieces composed once per variant in API Gateway's order.
 */

import type { CoreHandler } from '../../core/exchange.js';
import { coreHandlerOf } from '../../core/middleware.js';
import { cors } from '../cors/index.js';
import { compose } from '../pipeline/compose.js';
import { resourcePolicy } from '../resource-policy/index.js';
import type { UsagePlansMiddleware } from '../usage-plans/index.js';
import { aroundChargeOf } from '../usage-plans/usage-plans.js';
import { corsOptionsOf } from './cors.js';
import { Forwarder } from './forwarder.js';
import {
  type CompiledGatewayResponses,
  compileGatewayResponses,
  GatewayResponseError,
} from './gateway-responses.js';
import { compileIntegration } from './integrations.js';
import { LambdaIntegrations } from './lambda-integration.js';
import { type Operation, operationsOf } from './operations.js';
import type { OpenApiConfig } from './options.js';
import { childPointer } from './refs.js';
import type { Findings } from './report.js';
import { isObject } from './responses.js';
import { Router } from './router.js';
import { type OperationSecurity, SecurityCompiler } from './security.js';
import { compileStages, type Stage, StageCaches, type Variant } from './stages.js';
import { compileRequestValidator, mergeParameters, selectValidator } from './validation.js';

/** A resource's operations: by method, and the `ANY` one. */
export interface ResourceTable {
  readonly methods: ReadonlyMap<string, number>;
  readonly any: number | undefined;
}

export interface CompiledApi {
  readonly router: Router<ResourceTable>;
  readonly stages: ReadonlyMap<string, Stage>;
  readonly variants: readonly Variant[];
  /** `handlers[variant][operation]`. */
  readonly handlers: ReadonlyArray<readonly CoreHandler[]>;
  /** The CORS handler, when the document configures CORS: it runs first, even for a method the path lacks. */
  readonly cors: CoreHandler | undefined;
  readonly usagePlans: UsagePlansMiddleware | undefined;
  /** The header API keys come in: canaries stick to it. */
  readonly keyHeader: string;
  readonly forwarder: Forwarder;
  /** The document's gateway responses, installed on every request the API answers. */
  readonly gatewayResponses: CompiledGatewayResponses | undefined;
}

/** What every operation's compilation shares. */
interface Shared {
  readonly document: Record<string, unknown>;
  readonly config: OpenApiConfig;
  readonly security: SecurityCompiler;
  readonly forwarder: Forwarder;
  readonly lambdas: LambdaIntegrations;
  readonly findings: Findings;
  readonly cors: CoreHandler | undefined;
  readonly policy: CoreHandler | undefined;
  readonly caches: StageCaches;
}

export function compileApi(
  document: Record<string, unknown>,
  config: OpenApiConfig,
  findings: Findings,
): CompiledApi {
  const operations = operationsOf(document, findings);
  const router = routerOf(operations, findings);
  const { stages, variants } = compileStages(config);
  const security = new SecurityCompiler(document, config, findings);
  const corsOptions = corsOptionsOf(document['x-amazon-apigateway-cors'], findings);
  const shared: Shared = {
    document,
    config,
    security,
    forwarder: new Forwarder(),
    lambdas: new LambdaIntegrations(document, config, findings),
    findings,
    cors: corsOptions === undefined ? undefined : coreHandlerOf(cors(corsOptions))!,
    policy: policyOf(document, config, findings),
    caches: new StageCaches(),
  };
  const stageByName = new Map(stages.map((stage) => [stage.name, stage]));
  // Validation does not depend on the stage: compiled once per operation.
  const validators = operations.map((op) => validatorOf(op, shared));
  const handlers = variants.map((variant) =>
    operations.map((op, i) =>
      compileOperation(op, validators[i], variant, stageByName.get(variant.stage)!, shared),
    ),
  );
  return {
    router,
    stages: stageByName,
    variants,
    handlers,
    cors: shared.cors,
    usagePlans: security.usagePlans,
    keyHeader: security.keyHeader,
    forwarder: shared.forwarder,
    gatewayResponses: gatewayResponsesOf(document, findings),
  };
}

const GATEWAY_RESPONSES = 'x-amazon-apigateway-gateway-responses';

function gatewayResponsesOf(
  document: Record<string, unknown>,
  findings: Findings,
): CompiledGatewayResponses | undefined {
  const extension = document[GATEWAY_RESPONSES];
  if (extension === undefined) return undefined;
  try {
    return compileGatewayResponses(extension, `/${GATEWAY_RESPONSES}`);
  } catch (err) {
    if (err instanceof GatewayResponseError) throw findings.error(err.pointer, err.detail);
    throw err;
  }
}

function routerOf(operations: readonly Operation[], findings: Findings): Router<ResourceTable> {
  const router = new Router<ResourceTable>(
    (path, message) => findings.error(childPointer('/paths', path), message),
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
  return router;
}

const POLICY = 'x-amazon-apigateway-policy';

/** `x-amazon-apigateway-policy` as `gateway.resourcePolicy`; statements it cannot match are reported. */
function policyOf(
  document: Record<string, unknown>,
  config: OpenApiConfig,
  findings: Findings,
): CoreHandler | undefined {
  const policy = document[POLICY];
  if (policy === undefined) return undefined;
  try {
    const built = resourcePolicy(policy as never, {
      ...config.givenArn,
      onUnsupported: (warning) =>
        findings.add(childPointer(`/${POLICY}`, 'Statement', warning.statement), warning.message),
    });
    return coreHandlerOf(built);
  } catch (err) {
    throw findings.error(`/${POLICY}`, err instanceof Error ? err.message : String(err));
  }
}

/** The operation's request validation, per `x-amazon-apigateway-request-validator(s)`. */
function validatorOf(op: Operation, shared: Shared): CoreHandler | undefined {
  const { document, config } = shared;
  const flags = selectValidator(document, op.operation, op.pointer);
  if (flags === undefined) return undefined;
  const itemPointer = childPointer('/paths', op.path);
  return compileRequestValidator({
    document,
    pointer: op.pointer,
    parameters: mergeParameters(document, op.pathItem, itemPointer, op.operation, op.pointer),
    requestBody: op.operation.requestBody,
    bodyLimit: config.bodyLimit,
    ...flags,
  });
}

/**
 * One operation's pieces for one variant, composed once, in API Gateway's order: CORS →
 * resource policy → authorizers → API key, stage throttle and quota → validation → cache →
 * integration.
 */
function compileOperation(
  op: Operation,
  validator: CoreHandler | undefined,
  variant: Variant,
  stage: Stage,
  shared: Shared,
): CoreHandler {
  const { operation, pointer } = op;
  const requirements = operation.security ?? shared.document.security;
  const securityPointer =
    operation.security === undefined ? '/security' : childPointer(pointer, 'security');
  const security = shared.security.forOperation(requirements, securityPointer, variant.stage);
  const integrationPointer = childPointer(pointer, 'x-amazon-apigateway-integration');
  const integration = compileIntegration({
    integration: operation['x-amazon-apigateway-integration'],
    pointer: integrationPointer,
    method: op.method,
    greedy: /\{([^{}]+)\+\}$/.exec(op.path)?.[1],
    stage: variant.stage,
    variables: variant.variables,
    findings: shared.findings,
    forwarder: shared.forwarder,
    lambda: (spec) => shared.lambdas.handlerFor(spec, integrationPointer, variant),
  });
  const pieces: CoreHandler[] = [];
  if (shared.cors !== undefined) pieces.push(shared.cors);
  if (shared.policy !== undefined) pieces.push(shared.policy);
  pieces.push(...security.auth);
  const plans = security.apiKey ? shared.security.usagePlans : undefined;
  if (plans !== undefined) {
    // The key is checked first; the stage throttle runs inside the plan's charge, so that a
    // request it refuses is never counted against the key's quota (as `pipeline()` does).
    const around = aroundChargeOf(plans)!;
    pieces.push(stage.throttle === undefined ? coreHandlerOf(plans)! : around(stage.throttle));
  } else if (stage.throttle !== undefined) pieces.push(stage.throttle);
  if (validator !== undefined) pieces.push(validator);
  const keyHeaders = cacheKeyHeaders(operation, integrationPointer, shared.findings);
  const callers = callerKeyHeaders(security, stage);
  const headers = [...new Set([...keyHeaders, ...callers])].sort();
  const cache = shared.caches.handlerFor(stage, variant, headers);
  if (cache !== undefined) pieces.push(cache);
  pieces.push(integration);
  return compose(pieces);
}

/**
 * The headers that tell an operation's callers apart, for the stage cache's key: one caller its
 * authorizers admit must never get what another was answered, unless the stage's cache is
 * `shared`. Authorization and Cookie need not be listed: the cache never serves a request
 * carrying them an entry keyed without them.
 */
function callerKeyHeaders(security: OperationSecurity, stage: Stage): readonly string[] {
  if (stage.cache === undefined || stage.cache.shared === true) return [];
  return security.identity.filter((name) => name !== 'authorization' && name !== 'cookie');
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
        childPointer(pointer, 'cacheKeyParameters', i),
        `${String(parameter)} cannot join the cache key`,
      );
  });
  return headers.sort();
}
