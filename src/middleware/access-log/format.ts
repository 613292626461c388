/** Record formats: API Gateway's `$context` template syntax, compiled once, and its CLF template. */

import type { AccessLogRecord } from './record.js';

/** A compiled format: the line for a record. */
export type LineFormat = (record: AccessLogRecord) => string;

type Field = (record: AccessLogRecord) => string | number | boolean | null;

/**
 * The `$context` variables a template may use: API Gateway's names, and each record field under
 * its own name. `identity.caller` (an IAM caller) has no counterpart here and is always `-`.
 */
const VARIABLES: Readonly<Record<string, Field>> = {
  requestId: (r) => r.requestId,
  'identity.sourceIp': (r) => r.ip,
  ip: (r) => r.ip,
  'identity.userAgent': (r) => r.userAgent,
  userAgent: (r) => r.userAgent,
  'identity.apiKeyId': (r) => r.apiKeyId,
  apiKeyId: (r) => r.apiKeyId,
  'identity.caller': () => null,
  'identity.user': (r) => r.principalId,
  'authorizer.principalId': (r) => r.principalId,
  principalId: (r) => r.principalId,
  requestTime: (r) => r.requestTime,
  requestTimeEpoch: (r) => r.requestTimeEpoch,
  httpMethod: (r) => r.httpMethod,
  path: (r) => r.path,
  query: (r) => r.query,
  resourcePath: (r) => r.resourcePath,
  protocol: (r) => r.protocol,
  status: (r) => r.status,
  responseLength: (r) => r.responseLength,
  responseLatency: (r) => r.responseLatency,
  integrationLatency: (r) => r.integrationLatency,
  'integration.latency': (r) => r.integrationLatency,
  integrationStatus: (r) => r.integrationStatus,
  'integration.status': (r) => r.integrationStatus,
  cacheStatus: (r) => r.cacheStatus,
  'error.responseType': (r) => r.error?.responseType ?? null,
  'error.message': (r) => r.error?.message ?? null,
  traceId: (r) => r.traceId,
  aborted: (r) => r.aborted,
};

/** The names a template may use after `$context.`, for error messages and the README. */
export const TEMPLATE_VARIABLES: readonly string[] = Object.keys(VARIABLES);

/**
 * API Gateway console's CLF template, without `$context.extendedRequestId` (the gateway has one
 * request id) and with the space before the quoted request line that Common Log Format has.
 */
export const CLF_TEMPLATE =
  '$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId';

const VARIABLE = /\$context\.([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)/g;

/**
 * Characters that would break a line or a quoted field: C0 and C1 controls, `"`, `\`, and the
 * Unicode line and paragraph separators (U+0085, U+2028 and U+2029 end a line for many readers,
 * Python's `str.splitlines` among them, and JSON.stringify leaves them raw).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const UNSAFE = /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** What JSON.stringify leaves raw of `UNSAFE`. */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029]/g;

/** `value` as a JSON string literal with every `UNSAFE` character escaped. */
function escapedJson(value: string): string {
  return JSON.stringify(value).replace(
    RAW_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A value as template text: `-` when unknown (as API Gateway writes it), escaped when needed. */
function text(value: string | number | boolean | null): string {
  if (value === null) return '-';
  if (typeof value !== 'string') return String(value);
  return UNSAFE.test(value) ? escapedJson(value).slice(1, -1) : value;
}

/**
 * Compiles `template` once: the literal parts and the fields between them. An unknown variable
 * is a configuration error, thrown at start-up with the variable's name (`onUnknown`).
 */
export function compileTemplate(template: string, onUnknown: (name: string) => Error): LineFormat {
  const literals: string[] = [];
  const fields: Field[] = [];
  let last = 0;
  for (const match of template.matchAll(VARIABLE)) {
    const name = match[1] as string;
    const field = VARIABLES[name];
    if (field === undefined) throw onUnknown(name);
    literals.push(template.slice(last, match.index));
    fields.push(field);
    last = (match.index ?? 0) + match[0].length;
  }
  const tail = template.slice(last);
  return function formatLine(record) {
    let line = '';
    for (let i = 0; i < fields.length; i++)
      line += literals[i] + text((fields[i] as Field)(record));
    return line + tail;
  };
}

/** A JSON string value: quoted as is when nothing needs escaping (the usual case), else JSON's own. */
function jsonString(value: string | null): string {
  if (value === null) return 'null';
  return UNSAFE.test(value) ? escapedJson(value) : `"${value}"`;
}

function jsonNumber(value: number | null): string {
  return value === null ? 'null' : String(value);
}

/**
 * `JSON.stringify(record)`, written field by field for the record's fixed shape: the default
 * format runs once per request, and the generic serialiser walks the object to find what is
 * known here. Same field order and the same text, but for C1 controls and U+2028/U+2029, which
 * are escaped here (access-log.test.ts checks both agree otherwise).
 */
export function recordJson(r: AccessLogRecord): string {
  const error =
    r.error === null
      ? 'null'
      : `{"responseType":${jsonString(r.error.responseType)},"message":${jsonString(r.error.message)}}`;
  return (
    `{"requestId":${jsonString(r.requestId)},"ip":${jsonString(r.ip)},"userAgent":${jsonString(r.userAgent)}` +
    `,"requestTime":"${r.requestTime}","requestTimeEpoch":${r.requestTimeEpoch}` +
    `,"httpMethod":${jsonString(r.httpMethod)},"path":${jsonString(r.path)},"query":${jsonString(r.query)}` +
    `,"resourcePath":${jsonString(r.resourcePath)},"protocol":${jsonString(r.protocol)},"status":${r.status}` +
    `,"responseLength":${r.responseLength},"responseLatency":${r.responseLatency}` +
    `,"integrationLatency":${jsonNumber(r.integrationLatency)},"integrationStatus":${jsonNumber(r.integrationStatus)}` +
    `,"cacheStatus":${jsonString(r.cacheStatus)},"apiKeyId":${jsonString(r.apiKeyId)}` +
    `,"principalId":${jsonString(r.principalId)},"error":${error},"traceId":"${r.traceId}","aborted":${r.aborted}}`
  );
}
