/** One access-log record: what the gateway knows of a request once its response is over. */

import type { GatewayErrorInfo } from '../../core/context.js';
import type { Exchange } from '../../core/exchange.js';
import { originForm, pathEnd, queryOf } from '../../core/target.js';
import { traceContextOf } from '../../core/trace.js';

/** How the response cache served the request, from its RFC 9211 `Cache-Status`. */
export type CacheStatus = 'hit' | 'stale' | 'miss' | 'refresh' | 'bypass';

/**
 * The fields of a record, named as API Gateway's `$context` variables so that queries written
 * for its access logs carry over. A field the gateway does not know is `null`, never absent.
 */
export interface AccessLogRecord {
  /** `$context.requestId`: the request id echoed in `x-request-id`. */
  readonly requestId: string;
  /** `$context.identity.sourceIp`: the client address (honouring `trust proxy` / `app.proxy`). */
  readonly ip: string;
  /** `$context.identity.userAgent`. */
  readonly userAgent: string | null;
  /** `$context.requestTime`: when the request arrived, CLF form (`06/Dec/2026:23:59:01 +0000`). */
  readonly requestTime: string;
  /** `$context.requestTimeEpoch`: the same, in milliseconds since the epoch. */
  readonly requestTimeEpoch: number;
  /** `$context.httpMethod`. */
  readonly httpMethod: string;
  /** `$context.path`: the path the client sent, without the query. */
  readonly path: string;
  /** The query string without `?`, each value of a `redactQuery` name replaced; null when none. */
  readonly query: string | null;
  /** `$context.resourcePath`: the route template that served the request, or null. */
  readonly resourcePath: string | null;
  /** `$context.protocol`, e.g. `HTTP/1.1`. */
  readonly protocol: string;
  /** `$context.status`: the status sent (the status set, when the client left first). */
  readonly status: number;
  /** `$context.responseLength`: body bytes sent (written to the connection when `aborted`). */
  readonly responseLength: number;
  /** `$context.responseLatency`: milliseconds from the request's arrival to the end of its response. */
  readonly responseLatency: number;
  /** `$context.integrationLatency`: milliseconds waited for the upstream (`proxy`). */
  readonly integrationLatency: number | null;
  /** `$context.integrationStatus`: the upstream's status (`proxy`). */
  readonly integrationStatus: number | null;
  /** How `cache` served the request. */
  readonly cacheStatus: CacheStatus | null;
  /** `$context.identity.apiKeyId`: the id of the API key (never the key). */
  readonly apiKeyId: string | null;
  /** `$context.authorizer.principalId`: who `jwt` or `authorizer` accepted. */
  readonly principalId: string | null;
  /** `$context.error.responseType` and `.message`, when the gateway itself answered. */
  readonly error: GatewayErrorInfo | null;
  /** The W3C trace id (`traceparent`), continued or new. */
  readonly traceId: string;
  /** The client went away before the response was complete. */
  readonly aborted: boolean;
}

/** When and how a request began, taken as the access log first sees it. */
export interface RequestStart {
  readonly epochMs: number;
  /** `performance.now()` at arrival, for the latency. */
  readonly monotonicMs: number;
}

/** The record of a request whose response finished (`aborted` false) or was cut short. */
export function buildRecord(
  ex: Exchange,
  start: RequestStart,
  responseLength: number,
  aborted: boolean,
  redactQuery: ReadonlySet<string>,
): AccessLogRecord {
  const gateway = ex.gateway;
  const req = ex.req;
  // As the router reads it: an absolute form's authority is no part of the path.
  const url = originForm(ex.originalUrl);
  const pathAt = pathEnd(url);
  const query = queryOf(url, pathAt);
  return {
    requestId: gateway.requestId,
    ip: ex.ip,
    userAgent: ex.header('user-agent') ?? null,
    requestTime: clfTime(start.epochMs),
    requestTimeEpoch: start.epochMs,
    httpMethod: ex.method,
    path: url.slice(0, pathAt),
    query: query === undefined ? null : redactedQuery(query, redactQuery),
    resourcePath: ex.routeTemplate,
    protocol: protocolOf(req.httpVersion),
    status: ex.res.statusCode,
    responseLength,
    responseLatency: Math.round(performance.now() - start.monotonicMs),
    integrationLatency: gateway.integrationLatency ?? null,
    integrationStatus: gateway.integrationStatus ?? null,
    cacheStatus: cacheStatusOf(gateway.cache),
    apiKeyId: gateway.apiKey?.id ?? null,
    principalId: gateway.principal?.id ?? null,
    error: gateway.error ?? null,
    traceId: traceContextOf(ex).traceId,
    aborted,
  };
}

/** `HTTP/<version>`, without building the usual one for every request. */
function protocolOf(version: string): string {
  return version === '1.1' ? 'HTTP/1.1' : `HTTP/${version}`;
}

/** The cache's RFC 9211 `Cache-Status` value as one word (its values are in cache/headers.ts). */
export function cacheStatusOf(value: string | undefined): CacheStatus | null {
  if (value === undefined) return null;
  if (value.includes('; hit')) return value.includes('stale') ? 'stale' : 'hit';
  if (value.includes('fwd=bypass')) return 'bypass';
  if (value.includes('fwd=request')) return 'refresh';
  return 'miss';
}

/** What replaces a redacted query value. */
export const REDACTED = '[REDACTED]';

/** Where query parameters split: `&`, and the `;` that some servers and old HTML forms use too. */
const PARAMETER_SEPARATOR = /[&;]/;

/**
 * `query` with the value of every parameter named in `names` (lower case) replaced. Names are
 * compared decoded (`%74oken` and `token` are one name), case-insensitively, and without a
 * bracket suffix (`token[]`, `password[old]`: qs, Express 4's default query parser, reads them as
 * `token` and `password`). Parameters split at `&` and at `;`.
 */
export function redactedQuery(query: string, names: ReadonlySet<string>): string {
  if (names.size === 0) return query;
  if (!PARAMETER_SEPARATOR.test(query)) return redactedPair(query, names);
  let out = '';
  let from = 0;
  for (let i = 0; i <= query.length; i++) {
    const c = query.charCodeAt(i);
    if (i < query.length && c !== 38 /* & */ && c !== 59 /* ; */) continue;
    out += redactedPair(query.slice(from, i), names);
    if (i < query.length) out += query[i];
    from = i + 1;
  }
  return out;
}

/** One `name=value` pair, its value replaced when its name is listed. */
function redactedPair(pair: string, names: ReadonlySet<string>): string {
  const eq = pair.indexOf('=');
  const raw = eq === -1 ? pair : pair.slice(0, eq);
  return names.has(decodedName(raw)) ? `${raw}=${REDACTED}` : pair;
}

function decodedName(raw: string): string {
  const spaced = raw.includes('+') ? raw.replaceAll('+', ' ') : raw;
  let name = spaced.toLowerCase();
  if (spaced.includes('%')) {
    try {
      name = decodeURIComponent(spaced).toLowerCase();
    } catch {
      // Malformed escapes: compare as sent.
    }
  }
  const bracket = name.indexOf('[');
  return bracket > 0 ? name.slice(0, bracket) : name;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The last second formatted, and its text: requests of the same second share one string. */
let clfSecond = Number.NaN;
let clfText = '';

/** `dd/MMM/yyyy:HH:mm:ss +0000`, the Common Log Format time API Gateway writes (in UTC). */
export function clfTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second === clfSecond) return clfText;
  const d = new Date(second * 1000);
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  clfText = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
  clfSecond = second;
  return clfText;
}
