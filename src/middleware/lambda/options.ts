/** `lambda()` options, their defaults, and the resolved configuration. */

import { type Clock, systemClock } from '../../core/clock.js';
import { DEFAULT_BODY_LIMIT } from '../../core/request-body.js';
import {
  assertKnownOptions,
  assertNumber,
  assertOptionsObject,
  optionRangeError,
  optionTypeError,
  stripUndefined,
} from '../../core/validate.js';
import { AUTHORIZER_ARN_DEFAULTS } from '../authorizer/options.js';
import type { LambdaErrorDetails } from './types.js';

export interface LambdaOptions {
  /**
   * The event the handler receives and how its result is read: `'1.0'` (REST APIs:
   * `multiValueHeaders`, `null` for absent parts, a `statusCode` required) or `'2.0'` (HTTP APIs:
   * `rawPath`, `cookies`, comma-joined values, a result without `statusCode` sent as a 200 JSON body).
   * @default '1.0'
   */
  payloadFormatVersion?: '1.0' | '2.0';
  /**
   * Payload 1.0: request bodies whose `Content-Type` matches one of these reach the handler
   * base64-encoded (`isBase64Encoded: true`), the others as UTF-8 text. `'image/png'`,
   * `'image/*'`, or `'*\/*'` for every body. Payload 2.0 ignores it and follows HTTP APIs' rule:
   * `text/*`, `application/json`, `application/xml` and `application/javascript` bodies are text,
   * every other (and one without a type) is base64.
   * @default []
   */
  binaryMediaTypes?: readonly string[];
  /** The context's `functionName` (and its ARN's last part). @default handler.name, or 'handler' */
  functionName?: string;
  /**
   * Milliseconds the handler may take; after that the client gets 504
   * `{"message":"Endpoint request timed out"}` and a late result is dropped.
   * @default 29000 (API Gateway's integration limit)
   */
  timeout?: number;
  /** Largest request body read, in bytes; a larger one is answered 413. @default 10485760 (10 MiB, API Gateway's limit) */
  bodyLimit?: number;
  /**
   * Stage variables for a handler used on its own. A stage's variables set by
   * `gateway.openapi()` take precedence.
   * @default undefined (none: `stageVariables` is null in 1.0, absent in 2.0)
   */
  stageVariables?: Readonly<Record<string, string>>;
  /**
   * Told once about every failed invocation (the handler threw, rejected, timed out or answered
   * something API Gateway refuses), after the client got its 502/504.
   * @default logs the error with the request id through console.error
   */
  onError?: (error: Error, details: LambdaErrorDetails) => void;
  /** The region in the context's `invokedFunctionArn`. @default 'local' */
  region?: string;
  /** The event's `requestContext.accountId` and the ARN's account. @default '000000000000' */
  accountId?: string;
  /** The event's `requestContext.apiId`. @default 'portcullis' */
  apiId?: string;
  /** Time for `requestTimeEpoch` and `getRemainingTimeInMillis()`. @default systemClock */
  clock?: Clock;
}

export const LAMBDA_DEFAULTS = {
  payloadFormatVersion: '1.0',
  binaryMediaTypes: [],
  functionName: undefined,
  timeout: 29_000,
  bodyLimit: DEFAULT_BODY_LIMIT,
  stageVariables: undefined,
  onError: undefined,
  region: AUTHORIZER_ARN_DEFAULTS.region,
  accountId: AUTHORIZER_ARN_DEFAULTS.accountId,
  apiId: AUTHORIZER_ARN_DEFAULTS.apiId,
  clock: systemClock,
} as const satisfies LambdaOptions;

const KNOWN_OPTIONS = Object.keys(LAMBDA_DEFAULTS);
export const SCOPE = 'lambda';
/** setTimeout's largest delay (2^31 − 1 ms); a longer one fires at once. */
const MAX_TIMEOUT = 2_147_483_647;

/** The resolved configuration. */
export interface LambdaConfig {
  readonly version: '1.0' | '2.0';
  /** Whether a 1.0 request body of this media type (lower case, no parameters) goes base64. */
  readonly binary: (mediaType: string) => boolean;
  readonly functionName: string;
  readonly functionArn: string;
  readonly timeout: number;
  readonly bodyLimit: number;
  readonly stageVariables: Readonly<Record<string, string>> | undefined;
  readonly onError: (error: Error, details: LambdaErrorDetails) => void;
  readonly accountId: string;
  readonly apiId: string;
  readonly clock: Clock;
}

/** Validates `options` and precomputes the ARN and the binary media type matcher. */
export function resolveLambdaOptions(handler: unknown, options: LambdaOptions = {}): LambdaConfig {
  if (typeof handler !== 'function')
    throw new TypeError(
      `portcullis.${SCOPE}: the handler must be a function, got ${typeof handler}`,
    );
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const o = { ...LAMBDA_DEFAULTS, ...stripUndefined(options) };
  if (o.payloadFormatVersion !== '1.0' && o.payloadFormatVersion !== '2.0')
    throw optionTypeError(SCOPE, 'payloadFormatVersion', "'1.0' or '2.0'", o.payloadFormatVersion);
  assertNumber(SCOPE, 'timeout', o.timeout, {
    min: 1,
    max: MAX_TIMEOUT,
    integer: true,
    expected: 'a whole number of milliseconds from 1',
  });
  assertNumber(SCOPE, 'bodyLimit', o.bodyLimit, {
    min: 0,
    integer: true,
    expected: 'a whole number of bytes from 0',
  });
  const functionName = o.functionName ?? (handler.name === '' ? 'handler' : handler.name);
  for (const option of ['functionName', 'region', 'accountId', 'apiId'] as const) {
    const value = option === 'functionName' ? functionName : o[option];
    if (typeof value !== 'string' || !ARN_PART.test(value))
      throw optionTypeError(SCOPE, option, 'a string without ":", "/" or spaces', value);
  }
  if (typeof o.onError !== 'function' && o.onError !== undefined)
    throw optionTypeError(SCOPE, 'onError', 'a function', o.onError);
  if (typeof o.clock?.now !== 'function')
    throw optionTypeError(SCOPE, 'clock', 'an object with now()', o.clock);
  return Object.freeze({
    version: o.payloadFormatVersion,
    binary: binaryMatcher(o.binaryMediaTypes),
    functionName,
    functionArn: `arn:aws:lambda:${o.region}:${o.accountId}:function:${functionName}`,
    timeout: o.timeout,
    bodyLimit: o.bodyLimit,
    stageVariables: resolveStageVariables(o.stageVariables),
    onError: o.onError ?? logError,
    accountId: o.accountId,
    apiId: o.apiId,
    clock: o.clock,
  });
}

/** An ARN part: no `:` or `/` (they separate the parts), no white space. */
const ARN_PART = /^[^:/\s]+$/;
/** `type/subtype` where either may be `*` (RFC 9110 §8.3.1 tokens otherwise). */
const MEDIA_RANGE = /^(\*|[!#$%&'*+.^_`|~0-9a-z-]+)\/(\*|[!#$%&'*+.^_`|~0-9a-z-]+)$/;

/**
 * API Gateway's `binaryMediaTypes` rule: a listed type matches exactly, `type/*` every subtype
 * of `type`, `*\/*` everything (a body without a type too).
 */
function binaryMatcher(list: unknown): (mediaType: string) => boolean {
  if (!Array.isArray(list))
    throw optionTypeError(SCOPE, 'binaryMediaTypes', 'an array of media types', list);
  const exact = new Set<string>();
  const types = new Set<string>();
  let all = false;
  for (const [index, entry] of list.entries()) {
    const range = typeof entry === 'string' ? entry.trim().toLowerCase() : entry;
    if (typeof range !== 'string' || !MEDIA_RANGE.test(range))
      throw optionRangeError(
        SCOPE,
        `binaryMediaTypes[${index}]`,
        "a media type such as 'image/png', 'image/*' or '*/*'",
        entry,
      );
    const [type, subtype] = range.split('/') as [string, string];
    if (type === '*') all = true;
    else if (subtype === '*') types.add(type);
    else exact.add(range);
  }
  if (all) return () => true;
  if (exact.size === 0 && types.size === 0) return () => false;
  return (mediaType) => exact.has(mediaType) || types.has(mediaType.split('/', 1)[0]!);
}

function resolveStageVariables(value: unknown): Readonly<Record<string, string>> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw optionTypeError(SCOPE, 'stageVariables', 'an object of strings', value);
  for (const [name, item] of Object.entries(value)) {
    if (typeof item !== 'string')
      throw optionTypeError(SCOPE, `stageVariables.${name}`, 'a string', item);
  }
  return Object.freeze({ ...(value as Record<string, string>) });
}

/** The default `onError`: one line with the request id, so that it can be found in access logs. */
function logError(error: Error, details: LambdaErrorDetails): void {
  console.error(
    `portcullis.lambda: ${details.functionName} failed (${details.reason}) for request ${details.requestId}:`,
    error,
  );
}
