/** `openapi()` options, their defaults, and their start-up validation. */

import type { AnyRequest } from '../../core/middleware.js';
import { DEFAULT_BODY_LIMIT } from '../../core/request-body.js';
import {
  assertBoolean,
  assertKnownOptions,
  assertNumber,
  assertOptionsObject,
  optionTypeError,
} from '../../core/validate.js';
import type { AuthorizerFunction } from '../authorizer/index.js';
import type { CacheOptions } from '../cache/index.js';
import type { JwtOptions } from '../jwt/index.js';
import type { LambdaHandler } from '../lambda/index.js';

/**
 * A Lambda handler of either payload format: one typed for its own event (`@types/aws-lambda`'s
 * `APIGatewayProxyEvent` or `…V2`) is accepted as it is.
 */
// biome-ignore lint/suspicious/noExplicitAny: the event's type is the integration's payload format, known per operation only.
export type OpenApiLambdaHandler = LambdaHandler<any>;

import type { ThrottleOptions } from '../throttle/index.js';
import type { UsagePlansOptions } from '../usage-plans/index.js';

/** A canary on a stage: a share of its traffic served with other stage variables. */
export interface CanaryOptions {
  /** Percentage of requests (0–100) served by the canary. Required. */
  percentTraffic: number;
  /** Stage variables of the canary, merged over the stage's. @default {} */
  variables?: Readonly<Record<string, string>>;
}

/** One stage of the API, mounted under `/{name}`. */
export interface StageOptions<Req = AnyRequest> {
  /** Stage variables, substituted for `${stageVariables.name}` in integrations. @default {} */
  variables?: Readonly<Record<string, string>>;
  /** `gateway.throttle()`'s options: the stage's throttle. @default none */
  throttle?: ThrottleOptions<Req>;
  /** `gateway.cache()`'s TTL in seconds or options (`true` for its defaults). @default no cache */
  cache?: true | number | CacheOptions<Req>;
  /** A canary release on this stage. @default none */
  canary?: CanaryOptions;
}

/** Something of the document that is not run as written, with where it is. */
export interface UnsupportedItem {
  /** JSON pointer into the document, e.g. `/paths/~1pets/get/x-amazon-apigateway-integration/type`. */
  readonly pointer: string;
  /** What is not supported. */
  readonly message: string;
}

/** Everything of one document that is not run as written, reported once at start-up. */
export interface UnsupportedReport {
  /** The document's path, or `<object>` for a document given as an object. */
  readonly source: string;
  readonly items: readonly UnsupportedItem[];
}

export interface OpenApiOptions<Req = AnyRequest> {
  /**
   * The stages, by name: each mounts the API under `/{name}` with its stage variables, throttle,
   * cache and canary. Without stages the API is at the root and its stage is `$default`.
   * @default none (one `$default` stage at the root)
   */
  stages?: Readonly<Record<string, StageOptions<Req>>>;
  /**
   * Lambda proxy handlers for `aws_proxy` integrations, by function name or function ARN
   * (matched against the function in the integration's `uri`).
   * @default {}
   */
  lambdas?: Readonly<Record<string, OpenApiLambdaHandler>>;
  /** The functions of `token` / `request` Lambda authorizers, by security scheme name. @default {} */
  authorizers?: Readonly<Record<string, AuthorizerFunction>>;
  /**
   * The usage plans and API keys behind `api_key` security (kept outside the document, as in
   * API Gateway): `gateway.usagePlans()`'s options, without the key's source, which the document
   * gives (`x-amazon-apigateway-api-key-source`). Required when an operation requires a key.
   */
  usagePlans?: Omit<UsagePlansOptions<Req>, 'keySource'>;
  /**
   * `gateway.jwt()` options merged over what a `jwt` or `cognito_user_pools` authorizer says,
   * by security scheme name, e.g. `{ cognito: { jwksUri } }` to test against a local JWKS.
   * @default {}
   */
  jwt?: Readonly<Record<string, Partial<JwtOptions<Req>>>>;
  /** Throw at start-up instead of reporting what the document uses and is not supported. @default false */
  strict?: boolean;
  /**
   * Receives the report of unsupported parts of the document (once, at start-up, only when
   * there are some).
   * @default console.warn of the report, once
   */
  onUnsupported?: (report: UnsupportedReport) => void;
  /**
   * A request that matches no path or no method of the document: `'next'` hands it on to the
   * app; `'refuse'` answers 403 `{"message":"Missing Authentication Token"}` as API Gateway does.
   * @default 'next'
   */
  unmatched?: 'next' | 'refuse';
  /** Bytes of request body the gateway reads at most (validation, Lambda); larger is 413. @default 10485760 (10 MiB) */
  bodyLimit?: number;
  /**
   * The region in ARNs (authorizer `methodArn`, Lambda context, Cognito issuers without one).
   * The resource policy takes it only when given (else it reads its own ARNs'). @default 'local'
   */
  region?: string;
  /** The account id in ARNs (as `region`). @default '000000000000' */
  accountId?: string;
  /** The API id in ARNs (as `region`). @default 'portcullis' */
  apiId?: string;
}

export const OPENAPI_DEFAULTS = {
  stages: undefined,
  lambdas: {},
  authorizers: {},
  usagePlans: undefined,
  jwt: {},
  strict: false,
  onUnsupported: undefined,
  unmatched: 'next',
  bodyLimit: DEFAULT_BODY_LIMIT,
  region: 'local',
  accountId: '000000000000',
  apiId: 'portcullis',
} as const satisfies OpenApiOptions;

const KNOWN_OPTIONS = Object.keys(OPENAPI_DEFAULTS);
export const SCOPE = 'openapi';

/** The resolved options. */
export interface OpenApiConfig {
  readonly stages: Readonly<Record<string, StageOptions>> | undefined;
  readonly lambdas: Readonly<Record<string, OpenApiLambdaHandler>>;
  readonly authorizers: Readonly<Record<string, AuthorizerFunction>>;
  readonly usagePlans: Omit<UsagePlansOptions, 'keySource'> | undefined;
  readonly jwt: Readonly<Record<string, Partial<JwtOptions>>>;
  readonly strict: boolean;
  readonly onUnsupported: (report: UnsupportedReport) => void;
  readonly unmatched: 'next' | 'refuse';
  readonly bodyLimit: number;
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
  /** The ARN parts the caller gave (the resource policy's defaults read its own ARNs otherwise). */
  readonly givenArn: {
    readonly region?: string;
    readonly accountId?: string;
    readonly apiId?: string;
  };
}

const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const VARIABLE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** Validates `options` (throwing a TypeError/RangeError naming the option) and fills defaults. */
export function resolveOpenApiOptions(options: OpenApiOptions = {}): OpenApiConfig {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const o = {
    ...OPENAPI_DEFAULTS,
    ...withoutUndefined(options),
  } as unknown as Required<OpenApiOptions>;
  assertBoolean(SCOPE, 'strict', o.strict);
  if (o.unmatched !== 'next' && o.unmatched !== 'refuse')
    throw optionTypeError(SCOPE, 'unmatched', '"next" or "refuse"', o.unmatched);
  assertNumber(SCOPE, 'bodyLimit', o.bodyLimit, {
    min: 0,
    integer: true,
    expected: 'a whole number of bytes from 0',
  });
  for (const name of ['region', 'accountId', 'apiId'] as const)
    if (typeof o[name] !== 'string' || o[name] === '')
      throw optionTypeError(SCOPE, name, 'a non-empty string', o[name]);
  assertRecordOf('lambdas', o.lambdas, 'function');
  assertRecordOf('authorizers', o.authorizers, 'function');
  assertRecordOf('jwt', o.jwt, 'object');
  if (o.usagePlans !== undefined)
    assertOptionsObject(`${SCOPE}: option "usagePlans"`, o.usagePlans);
  if (o.onUnsupported !== undefined && typeof o.onUnsupported !== 'function')
    throw optionTypeError(SCOPE, 'onUnsupported', 'a function', o.onUnsupported);
  if (o.stages !== undefined) assertStages(o.stages);
  const givenArn = Object.fromEntries(
    (['region', 'accountId', 'apiId'] as const)
      .filter((name) => options[name] !== undefined)
      .map((name) => [name, options[name]]),
  );
  return Object.freeze({
    ...o,
    givenArn,
    onUnsupported: o.onUnsupported ?? warnOnce,
  }) as OpenApiConfig;
}

function withoutUndefined(options: object): object {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

function assertRecordOf(option: string, value: unknown, kind: 'function' | 'object'): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw optionTypeError(SCOPE, option, `an object of ${kind}s by name`, value);
  for (const [name, item] of Object.entries(value)) {
    const ok = kind === 'function' ? typeof item === 'function' : isPlainObject(item);
    if (!ok) throw optionTypeError(SCOPE, `${option}.${name}`, `a ${kind}`, item);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const STAGE_OPTIONS = ['variables', 'throttle', 'cache', 'canary'];

function assertStages(stages: unknown): void {
  if (!isPlainObject(stages) || Object.keys(stages).length === 0)
    throw optionTypeError(SCOPE, 'stages', 'a non-empty object of stages by name', stages);
  for (const [name, stage] of Object.entries(stages)) {
    const option = `stages.${name}`;
    if (!STAGE_NAME.test(name))
      throw optionTypeError(SCOPE, 'stages', 'keyed by stage names ([A-Za-z0-9_-])', name);
    if (!isPlainObject(stage)) throw optionTypeError(SCOPE, option, 'an object', stage);
    assertKnownOptions(`${SCOPE}.${option}`, stage, STAGE_OPTIONS);
    assertVariables(`${option}.variables`, stage.variables);
    // Their own options are checked by gateway.throttle() and gateway.cache() at start-up.
    if (stage.throttle !== undefined && !isPlainObject(stage.throttle))
      throw optionTypeError(SCOPE, `${option}.throttle`, 'throttle options', stage.throttle);
    const { cache } = stage;
    if (cache !== undefined && cache !== true && typeof cache !== 'number' && !isPlainObject(cache))
      throw optionTypeError(
        SCOPE,
        `${option}.cache`,
        'true, a TTL in seconds or cache options',
        cache,
      );
    if (stage.canary !== undefined) assertCanary(`${option}.canary`, stage.canary);
  }
}

function assertCanary(option: string, canary: unknown): void {
  if (!isPlainObject(canary)) throw optionTypeError(SCOPE, option, 'an object', canary);
  assertKnownOptions(`${SCOPE}.${option}`, canary, ['percentTraffic', 'variables']);
  assertNumber(SCOPE, `${option}.percentTraffic`, canary.percentTraffic, {
    min: 0,
    max: 100,
    expected: 'a percentage from 0 to 100',
  });
  assertVariables(`${option}.variables`, canary.variables);
}

function assertVariables(option: string, variables: unknown): void {
  if (variables === undefined) return;
  if (!isPlainObject(variables))
    throw optionTypeError(SCOPE, option, 'an object of strings by name', variables);
  for (const [name, value] of Object.entries(variables)) {
    if (!VARIABLE_NAME.test(name))
      throw optionTypeError(SCOPE, option, 'keyed by variable names ([A-Za-z0-9_])', name);
    if (typeof value !== 'string')
      throw optionTypeError(SCOPE, `${option}.${name}`, 'a string', value);
  }
}

let warned = false;

/** The default `onUnsupported`: one warning per process, listing every item with its pointer. */
function warnOnce(report: UnsupportedReport): void {
  if (warned) return;
  warned = true;
  const lines = report.items.map((item) => `  ${item.pointer}: ${item.message}`);
  console.warn(
    `portcullis.openapi: ${report.source}: not supported, not run as written:\n${lines.join('\n')}`,
  );
}
