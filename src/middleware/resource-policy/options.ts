/** `resourcePolicy()` options, their defaults, and the resolved configuration (the policy compiled). */

import {
  type ErrorResponseOptions,
  type PreparedResponse,
  prepareErrorResponse,
} from '../../core/errors.js';
import { ARN_PART, EXECUTE_API_ARN_DEFAULTS } from '../../core/iam-policy.js';
import {
  assertBoolean,
  assertKnownOptions,
  assertOptionsObject,
  HTTP_TOKEN,
  optionTypeError,
  stripUndefined,
} from '../../core/validate.js';
import type { RouteMatching } from '../usage-plans/routes.js';
import { compilePolicy } from './compile.js';
import { PolicySyntaxError } from './conditions.js';
import { AmbiguousArnError } from './resources.js';
import type { CompiledPolicy, ResourcePolicyWarning } from './types.js';

export interface ResourcePolicyOptions {
  /**
   * The API's region in its ARN (`arn:aws:execute-api:{region}:…`). Resource ARNs naming another
   * region never match (reported through `onUnsupported`).
   * @default the region the policy's ARNs name when they name one, else `'local'`
   */
  region?: string;
  /**
   * The API's account id in its ARN. Shown masked in the refusal, as API Gateway does.
   * @default the account the policy's ARNs name when they name one, else `'000000000000'`
   */
  accountId?: string;
  /**
   * The API's id in its ARN (`…:{apiId}/{stage}/{METHOD}/{path}`).
   * @default the API id the policy's ARNs name when they name one, else `'portcullis'`
   */
  apiId?: string;
  /**
   * The stage in the ARN when the request's context has none (`gateway.openapi()` sets
   * `req.gateway.stage`; a leading `/{stage}` segment is then left out of the matched path).
   * An app without stages serves what HTTP APIs call `$default`; policies usually write `*`.
   * @default '$default'
   */
  stage?: string;
  /**
   * The request header holding the VPC endpoint id for `aws:SourceVpce`. An app is not behind a
   * VPC endpoint: name a header only when a front you trust sets it (and overwrites a client's).
   * @default undefined (the key is absent: `StringEquals` is false, `StringNotEquals` true)
   */
  vpceHeader?: string;
  /** The request header holding the VPC id for `aws:SourceVpc`, as `vpceHeader`. @default undefined */
  vpcHeader?: string;
  /**
   * Whether the app's router tells `/Admin` from `/admin` (Express's `case sensitive routing`,
   * @koa/router's `sensitive`). When not, paths are matched ignoring case, so that a Deny on
   * `/admin` also covers `/ADMIN`, which such a router serves from the same handler.
   * @default false
   */
  caseSensitiveRouting?: boolean;
  /**
   * Whether the app's router tells `/pets/` from `/pets` (Express's `strict routing`). When not,
   * one trailing `/` is dropped from the path before matching.
   * @default false
   */
  strictRouting?: boolean;
  /**
   * Replaces the 403 `{"Message":"User: anonymous is not authorized to perform:
   * execute-api:Invoke on resource: <arn>"}`. With only `status` and `headers`, the body keeps
   * the request's ARN.
   * @default API Gateway's 403, naming the request's ARN
   */
  response?: ErrorResponseOptions;
  /**
   * Told once at start-up of each statement this gateway can never match: one naming IAM
   * principals (callers that sign with SigV4), or a Resource of another region or account.
   * @default a process warning (code `PORTCULLIS_RESOURCE_POLICY`)
   */
  onUnsupported?: (warning: ResourcePolicyWarning) => void;
}

export const RESOURCE_POLICY_DEFAULTS = {
  region: undefined,
  accountId: undefined,
  apiId: undefined,
  stage: EXECUTE_API_ARN_DEFAULTS.stage,
  vpceHeader: undefined,
  vpcHeader: undefined,
  caseSensitiveRouting: false,
  strictRouting: false,
  response: undefined,
  onUnsupported: undefined,
} as const satisfies ResourcePolicyOptions;

const KNOWN_OPTIONS = Object.keys(RESOURCE_POLICY_DEFAULTS);
const SCOPE = 'resourcePolicy';

export interface ResourcePolicyConfig {
  readonly policy: CompiledPolicy;
  readonly stage: string;
  readonly foldCase: boolean;
  /** How the app's router compares paths (for the trailing `/`). */
  readonly routing: RouteMatching;
  /** `arn:aws:execute-api:{region}:********{last 4}:{apiId}/`, for the refusal's message. */
  readonly arnHead: string;
  readonly refusal: PreparedResponse;
  /** Whether the refusal's body is the override's (else it names the request's ARN). */
  readonly fixedBody: boolean;
}

function warn(warning: ResourcePolicyWarning): void {
  process.emitWarning(`portcullis.${SCOPE}: ${warning.message}`, {
    code: 'PORTCULLIS_RESOURCE_POLICY',
  });
}

function arnPart(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !ARN_PART.test(value))
    throw optionTypeError(SCOPE, option, 'a string without ":", "/", "*", "?" or spaces', value);
  return value;
}

function headerName(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !HTTP_TOKEN.test(value))
    throw optionTypeError(SCOPE, option, 'a header name', value);
  return value.toLowerCase();
}

/** API Gateway shows an account id as `********` and its last four digits. */
function masked(accountId: string): string {
  return `********${accountId.slice(-4)}`;
}

/** Validates `options`, compiles `policy`, and prepares the refusal. */
export function resolveResourcePolicyOptions(
  policy: unknown,
  options: ResourcePolicyOptions,
): ResourcePolicyConfig {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const o = { ...RESOURCE_POLICY_DEFAULTS, ...stripUndefined(options) };
  const stage = arnPart('stage', o.stage)!;
  assertBoolean(SCOPE, 'caseSensitiveRouting', o.caseSensitiveRouting);
  assertBoolean(SCOPE, 'strictRouting', o.strictRouting);
  if (o.onUnsupported !== undefined && typeof o.onUnsupported !== 'function')
    throw optionTypeError(SCOPE, 'onUnsupported', 'a function (warning) => void', o.onUnsupported);
  const compiled = compiledPolicy(policy, {
    region: arnPart('region', o.region),
    accountId: arnPart('accountId', o.accountId),
    apiId: arnPart('apiId', o.apiId),
    defaults: EXECUTE_API_ARN_DEFAULTS,
    vpceHeader: headerName('vpceHeader', o.vpceHeader),
    vpcHeader: headerName('vpcHeader', o.vpcHeader),
    foldCase: !o.caseSensitiveRouting,
    strictRouting: o.strictRouting,
    report: o.onUnsupported ?? warn,
  });
  const override = o.response;
  return Object.freeze({
    policy: compiled,
    stage,
    foldCase: !o.caseSensitiveRouting,
    routing: Object.freeze({ caseSensitive: o.caseSensitiveRouting, strict: o.strictRouting }),
    arnHead: `arn:aws:execute-api:${compiled.region}:${masked(compiled.accountId)}:${compiled.apiId}/`,
    refusal: prepareErrorResponse('forbidden', override, SCOPE, 'response'),
    fixedBody: override?.body !== undefined || override?.message !== undefined,
  });
}

/** The compiled policy; its errors name where in the policy, as an option (`policy.Statement[1]…`). */
function compiledPolicy(
  policy: unknown,
  settings: Parameters<typeof compilePolicy>[1],
): CompiledPolicy {
  try {
    return compilePolicy(policy, settings);
  } catch (err) {
    if (err instanceof PolicySyntaxError)
      throw optionTypeError(
        SCOPE,
        err.where === '' ? 'policy' : `policy.${err.where}`,
        err.expected,
        err.got,
      );
    if (err instanceof AmbiguousArnError)
      throw new TypeError(
        `portcullis.${SCOPE}: option "${err.option}" must be given: ${err.message}`,
      );
    throw err;
  }
}
