/** `jwt()` options, their defaults, and the resolved (validated, precomputed) configuration. */

import { type Clock, systemClock } from '../../core/clock.js';
import type { PreparedResponse } from '../../core/errors.js';
import {
  assertBoolean,
  assertKnownOptions,
  assertNumber,
  assertOptionsObject,
  optionTypeError,
  stripUndefined,
} from '../../core/validate.js';
import { assertAlgorithms, resolveKeySource } from './algorithms.js';
import { KeySet } from './jwks.js';
import { prepareRefusals, type Refusal } from './refusals.js';
import { compileTokenReader, type TokenReader } from './token.js';
import type { JwtOptions, JwtResponses } from './types.js';
import type { Verifier } from './verify.js';

export const JWT_DEFAULTS = {
  secret: undefined,
  publicKey: undefined,
  jwksUri: undefined,
  algorithms: undefined,
  issuer: undefined,
  audience: undefined,
  clockTolerance: 0,
  requiredClaims: [],
  scopes: [],
  token: undefined,
  maxTokenLength: 8192,
  credentialsRequired: true,
  cacheSize: 1000,
  jwksCacheMaxAge: 600_000,
  jwksRequestsPerMinute: 10,
  jwksTimeout: 1500,
  jwksRetryAfter: 1000,
  clock: systemClock,
  responses: {},
} as const satisfies { [K in keyof Required<JwtOptions>]: unknown };

const KNOWN_OPTIONS = Object.keys(JWT_DEFAULTS);
const SCOPE = 'jwt';
/** RFC 6750 §3 scope-token: printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The resolved configuration: validated, frozen, responses prepared. */
export interface JwtConfig {
  readonly readToken: TokenReader;
  readonly maxTokenLength: number;
  readonly credentialsRequired: boolean;
  readonly cacheSize: number;
  readonly clock: Clock;
  readonly verifier: Verifier;
  readonly refusals: Readonly<Record<Refusal, PreparedResponse>>;
}

/** Validates `options` and computes everything that does not depend on the request. */
export function resolveJwtOptions(options: JwtOptions): JwtConfig {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const o = { ...JWT_DEFAULTS, ...stripUndefined(options) };
  const algorithms = assertAlgorithms(o.algorithms);
  const source = resolveKeySource(o.secret, o.publicKey, o.jwksUri, algorithms);
  assertNumber(SCOPE, 'clockTolerance', o.clockTolerance, {
    min: 0,
    expected: 'seconds, 0 or more',
  });
  assertWholeNumber('maxTokenLength', o.maxTokenLength, 16);
  assertBoolean(SCOPE, 'credentialsRequired', o.credentialsRequired);
  assertWholeNumber('cacheSize', o.cacheSize, 0);
  if (typeof o.clock?.now !== 'function')
    throw optionTypeError(SCOPE, 'clock', 'an object with now()', o.clock);
  const scopes = stringList('scopes', o.scopes, SCOPE_TOKEN);
  const verifier: Verifier = Object.freeze({
    algorithms,
    key: source.kind === 'static' ? source.key : keySet(o, source.uri),
    issuer: optionalList('issuer', o.issuer),
    audience: optionalList('audience', o.audience),
    clockTolerance: o.clockTolerance,
    requiredClaims: stringList('requiredClaims', o.requiredClaims, /^.+$/),
    scopes,
  });
  if (typeof o.responses !== 'object' || o.responses === null)
    throw optionTypeError(SCOPE, 'responses', 'an object', o.responses);
  return Object.freeze({
    readToken: compileTokenReader(o.token),
    maxTokenLength: o.maxTokenLength,
    credentialsRequired: o.credentialsRequired,
    cacheSize: o.cacheSize,
    clock: o.clock,
    verifier,
    refusals: prepareRefusals(o.responses as JwtResponses, scopes),
  });
}

function keySet(
  o: {
    jwksCacheMaxAge: unknown;
    jwksRequestsPerMinute: unknown;
    jwksTimeout: unknown;
    jwksRetryAfter: unknown;
    clock: Clock;
  },
  uri: string,
): KeySet {
  assertNumber(SCOPE, 'jwksCacheMaxAge', o.jwksCacheMaxAge, {
    min: 0,
    expected: 'milliseconds, 0 or more',
  });
  assertWholeNumber('jwksRequestsPerMinute', o.jwksRequestsPerMinute, 0);
  assertNumber(SCOPE, 'jwksTimeout', o.jwksTimeout, {
    min: 1,
    max: 60_000,
    expected: 'milliseconds from 1 to 60000',
  });
  assertNumber(SCOPE, 'jwksRetryAfter', o.jwksRetryAfter, {
    min: 0,
    max: 600_000,
    expected: 'milliseconds from 0 to 600000',
  });
  return new KeySet({
    uri,
    retryAfter: o.jwksRetryAfter,
    maxAge: o.jwksCacheMaxAge,
    refetchesPerMinute: o.jwksRequestsPerMinute,
    timeout: o.jwksTimeout,
    clock: o.clock,
  });
}

function assertWholeNumber(option: string, value: unknown, min: number): asserts value is number {
  assertNumber(SCOPE, option, value, {
    min,
    integer: true,
    expected: `a whole number, ${min} or more`,
  });
}

/** `issuer`/`audience`: one string or a non-empty list of them, kept as a list. */
function optionalList(option: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((v) => typeof v === 'string' && v !== '')
  )
    throw optionTypeError(SCOPE, option, 'a non-empty string or a non-empty array of them', value);
  return [...list];
}

function stringList(option: string, value: unknown, pattern: RegExp): readonly string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && pattern.test(v)))
    throw optionTypeError(SCOPE, option, 'an array of names', value);
  return Object.freeze([...value]);
}
