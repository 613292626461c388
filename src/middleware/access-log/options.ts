/** `accessLog()` options, their defaults, and the resolved configuration (formats compiled once). */

import type { ServerResponse } from 'node:http';
import { type Clock, systemClock } from '../../core/clock.js';
import type { AnyRequest } from '../../core/middleware.js';
import {
  assertKnownOptions,
  assertOptionsObject,
  optionTypeError,
  stripUndefined,
} from '../../core/validate.js';
import { assertOptionalFunction } from '../throttle/options.js';
import { CLF_TEMPLATE, compileTemplate, recordJson, TEMPLATE_VARIABLES } from './format.js';
import type { AccessLogRecord } from './record.js';
import type { Destination } from './writer.js';

/** Anything with `info()`: pino, winston, bunyan, `console`. */
export interface AccessLogger {
  info(message: unknown): unknown;
}

/** A record turned into a line (a string) or an object (given to `logger.info` or written as JSON). */
export type RecordFormatter = (record: AccessLogRecord) => string | object;

export interface AccessLogOptions<Req = AnyRequest> {
  /**
   * `'json'`: the record as one JSON object per line (or the object, to `logger.info`).
   * `'clf'`: API Gateway's CLF template. Any other string: a template in API Gateway's syntax,
   * `'$context.requestId $context.status $context.responseLatency'`, compiled at start-up (an
   * unknown variable throws a TypeError naming it). Or a function of the record; one that throws
   * or returns neither a string nor an object logs nothing for that record (warned once).
   * @default 'json'
   */
  format?: 'json' | 'clf' | (string & {}) | RecordFormatter;
  /** Where records go instead of stdout: any object with `info()` (pino, winston, bunyan, console). */
  logger?: AccessLogger;
  /**
   * Without `logger`: a writable stream or a file descriptor the lines are written to, in
   * batches (one write per event-loop turn or 16 KiB), flushed synchronously at process exit.
   * @default process.stdout
   */
  destination?: Destination;
  /**
   * Query parameters whose values are replaced by `[REDACTED]` in the record's `query`, matched
   * case-insensitively. Replaces the default list.
   * @default ACCESS_LOG_DEFAULTS.redactQuery
   */
  redactQuery?: readonly string[];
  /**
   * Requests for which this returns `true` are not logged (health checks). Called once the
   * response is over; one that throws logs the record anyway (warned once).
   */
  skip?: (req: Req, res: ServerResponse) => boolean;
  /** Time source of `requestTime`/`requestTimeEpoch` (latencies use the monotonic clock). @default systemClock */
  clock?: Clock;
}

export const ACCESS_LOG_DEFAULTS = {
  format: 'json',
  logger: undefined,
  destination: undefined,
  redactQuery: Object.freeze([
    'token',
    'access_token',
    'id_token',
    'refresh_token',
    'api_key',
    'apikey',
    'key',
    'password',
    'secret',
    'client_secret',
    'signature',
    'sig',
    'code',
    'x-amz-signature',
    'x-amz-security-token',
  ]),
  skip: undefined,
  clock: systemClock,
} as const satisfies AccessLogOptions;

const KNOWN_OPTIONS = Object.keys(ACCESS_LOG_DEFAULTS);
export const SCOPE = 'accessLog';

/** The resolved configuration. */
export interface AccessLogConfig {
  /** The record as what the output takes: a line without its newline, or an object. */
  readonly format: (record: AccessLogRecord) => string | object;
  /** Whether `format` is the user's (it may throw or return the wrong type). */
  readonly userFormat: boolean;
  readonly logger: AccessLogger | undefined;
  readonly destination: Destination;
  readonly redactQuery: ReadonlySet<string>;
  readonly skip: ((req: unknown, res: ServerResponse) => unknown) | undefined;
  readonly clock: Clock;
}

function resolveFormat(format: unknown): AccessLogConfig['format'] {
  if (typeof format === 'function') return format as RecordFormatter;
  if (format === 'json') return (record) => record;
  if (format === 'clf') return compileTemplate(CLF_TEMPLATE, unknownVariable);
  if (typeof format === 'string' && format.includes('$context.'))
    return compileTemplate(format, unknownVariable);
  throw optionTypeError(
    SCOPE,
    'format',
    "'json', 'clf', a template with $context variables, or a function",
    format,
  );
}

function unknownVariable(name: string): TypeError {
  return new TypeError(
    `portcullis.${SCOPE}: option "format" uses an unknown variable $context.${name} (known: ${TEMPLATE_VARIABLES.join(', ')})`,
  );
}

function isDestination(value: unknown): value is Destination {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { write?: unknown }).write === 'function'
  );
}

/** Validates `options` and compiles what does not depend on the request. */
export function resolveAccessLogOptions(options: AccessLogOptions): AccessLogConfig {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const o = { ...ACCESS_LOG_DEFAULTS, ...stripUndefined(options) };
  // JSON lines of the default output: the record's own serialiser (an object goes to a logger).
  const format =
    o.format === 'json' && o.logger === undefined ? recordJson : resolveFormat(o.format);
  if (o.logger !== undefined && typeof (o.logger as { info?: unknown }).info !== 'function')
    throw optionTypeError(SCOPE, 'logger', 'an object with info() (pino, console...)', o.logger);
  if (o.logger !== undefined && o.destination !== undefined)
    throw new TypeError(
      `portcullis.${SCOPE}: options "logger" and "destination" cannot be used together`,
    );
  const destination = o.destination ?? process.stdout;
  if (!isDestination(destination))
    throw optionTypeError(
      SCOPE,
      'destination',
      'a writable stream or a file descriptor',
      destination,
    );
  const names = o.redactQuery as unknown;
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string' || name === ''))
    throw optionTypeError(SCOPE, 'redactQuery', 'an array of parameter names', names);
  assertOptionalFunction(SCOPE, 'skip', o.skip);
  if (typeof o.clock?.now !== 'function')
    throw optionTypeError(SCOPE, 'clock', 'an object with now()', o.clock);
  return Object.freeze({
    format,
    userFormat: typeof o.format === 'function',
    logger: o.logger,
    destination,
    redactQuery: new Set(names.map((name: string) => name.toLowerCase())),
    skip: o.skip as AccessLogConfig['skip'],
    clock: o.clock,
  });
}
