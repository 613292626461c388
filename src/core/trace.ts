/**
 * W3C Trace Context (level 1): the trace a request belongs to, continued from its `traceparent`
 * or started here, and the gateway's own span id to forward upstream. Computed only when a
 * middleware asks (the proxy, the access log) and kept on the request's context.
 */

import { createRequire } from 'node:module';
import type { GatewayContext } from './context.js';
import type { Exchange } from './exchange.js';
import { randomHex } from './request-id.js';

/** The trace context of one request, as the gateway propagates it. */
export interface TraceContext {
  /** 32 lower-case hex digits, never all zeros. */
  readonly traceId: string;
  /** The gateway's span: 16 lower-case hex digits, the parent id it gives the upstream. */
  readonly spanId: string;
  /** Trace flags, two lower-case hex digits (`01`: sampled). */
  readonly flags: string;
  /** The incoming `tracestate`, unchanged, when it was valid and its `traceparent` was too. */
  readonly state: string | undefined;
}

/** The part of `@opentelemetry/api` read here (1.x). */
interface OpenTelemetryApi {
  trace: {
    getSpanContext(context: unknown): OpenTelemetrySpanContext | undefined;
    isSpanContextValid(spanContext: OpenTelemetrySpanContext): boolean;
  };
  context: { active(): unknown };
}

interface OpenTelemetrySpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  traceState?: { serialize(): string };
}

const kTrace = Symbol('portcullis.trace');

type TracedContext = GatewayContext & { [kTrace]?: TraceContext };

/**
 * Flags of a trace the gateway starts: sampled, since the gateway records the request (its
 * access log carries the trace id); a caller's own flags are kept as they came.
 */
const NEW_TRACE_FLAGS = '01';

/**
 * The trace context of this request, computed once and cached on its context (which also gets
 * `traceId`): the active OpenTelemetry span's when an SDK is running, else the caller's valid
 * `traceparent` continued, else a new trace.
 */
export function traceContextOf(ex: Exchange): TraceContext {
  const gateway = ex.gateway as TracedContext;
  const known = gateway[kTrace];
  if (known !== undefined) return known;
  const trace =
    activeOpenTelemetryTrace() ??
    continuedTrace(ex.header('traceparent'), ex.header('tracestate')) ??
    newTrace();
  gateway[kTrace] = trace;
  gateway.traceId = trace.traceId;
  return trace;
}

/** The `traceparent` value that makes the upstream a child of the gateway's span (version 00). */
export function traceparentOf(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}

/** A trace context whose span id is made only when asked for (the proxy forwards it; logs do not). */
class GatewayTrace implements TraceContext {
  constructor(
    readonly traceId: string,
    readonly flags: string,
    readonly state: string | undefined,
    private span: string | undefined = undefined,
  ) {}

  get spanId(): string {
    this.span ??= randomHex(8);
    return this.span;
  }
}

function newTrace(): TraceContext {
  return new GatewayTrace(randomHex(16), NEW_TRACE_FLAGS, undefined);
}

/** `version-traceid-parentid-flags`, in lower-case hex (W3C Trace Context §3.2.2). */
const TRACEPARENT_FIELDS = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);
const VERSION_00_LENGTH = 55;

/** The fields of a valid `traceparent`, or undefined (W3C Trace Context level 1, §3.2 and §4.3). */
export function parseTraceparent(
  value: string | undefined,
): { traceId: string; parentId: string; flags: string } | undefined {
  if (value === undefined || value.length < VERSION_00_LENGTH) return undefined;
  const version = value.slice(0, 2);
  // Version 00 is exactly 55 characters. A later version may append fields after a dash: its
  // first four fields are read as version 00's (§4.3, "Versioning of traceparent").
  if (version === '00') {
    if (value.length !== VERSION_00_LENGTH) return undefined;
  } else if (value.length > VERSION_00_LENGTH && value[VERSION_00_LENGTH] !== '-') return undefined;
  const fields = TRACEPARENT_FIELDS.exec(value.slice(0, VERSION_00_LENGTH));
  // Version ff is forbidden; an all-zero trace or parent id is invalid (§3.2.2.3, §3.2.2.4).
  if (fields === null || version === 'ff') return undefined;
  const [, , traceId, parentId, flags] = fields as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return undefined;
  return { traceId, parentId, flags };
}

/** The caller's trace with a new span of the gateway's, or undefined if `traceparent` is not valid. */
function continuedTrace(
  traceparent: string | undefined,
  tracestate: string | undefined,
): TraceContext | undefined {
  const parent = parseTraceparent(traceparent);
  if (parent === undefined) return undefined;
  return new GatewayTrace(parent.traceId, parent.flags, validTracestate(tracestate));
}

/**
 * One `tracestate` list member, `key=value` (§3.3.1.3): a simple key or `tenant@system`, a value
 * of printable ASCII without `,` and `=` that does not end in a space.
 */
const TRACESTATE_MEMBER =
  /^(?:[a-z][a-z0-9_*/-]{0,255}|[a-z0-9][a-z0-9_*/-]{0,240}@[a-z][a-z0-9_*/-]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_TRACESTATE_MEMBERS = 32;

/**
 * The `tracestate` to forward unchanged, or undefined when absent or malformed: a vendor that
 * cannot parse it discards it rather than pass on something broken (§3.3.1).
 */
export function validTracestate(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  let members = 0;
  for (const item of value.split(',')) {
    const member = item.trim();
    // Empty members are allowed and ignored (§3.3.1.1).
    if (member === '') continue;
    members++;
    if (members > MAX_TRACESTATE_MEMBERS || !TRACESTATE_MEMBER.test(member)) return undefined;
  }
  return members === 0 ? undefined : value;
}

/**
 * `@opentelemetry/api`, loaded on the first traced request if the app has it, else `null`: an
 * optional peer, so apps without it load nothing. Resolved from this file, whichever build:
 * `__filename` in the CommonJS one, `import.meta.url` in the ES module one.
 */
let openTelemetry: OpenTelemetryApi | null | undefined;

function loadOpenTelemetry(): OpenTelemetryApi | null {
  try {
    // Not `require` itself: the ES module build's bundler replaces it with a shim that throws.
    const from = typeof __filename === 'string' ? __filename : import.meta.url;
    return createRequire(from)('@opentelemetry/api') as OpenTelemetryApi;
  } catch {
    return null;
  }
}

/** The active OpenTelemetry span's trace, when an SDK is running and a span is active. */
function activeOpenTelemetryTrace(): TraceContext | undefined {
  if (openTelemetry === undefined) openTelemetry = loadOpenTelemetry();
  if (openTelemetry === null) return undefined;
  const span = openTelemetry.trace.getSpanContext(openTelemetry.context.active());
  if (span === undefined || !openTelemetry.trace.isSpanContextValid(span)) return undefined;
  // isSpanContextValid accepts upper-case hex, which a traceparent may not carry (§3.2.2.3).
  return new GatewayTrace(
    span.traceId.toLowerCase(),
    (span.traceFlags & 0xff).toString(16).padStart(2, '0'),
    validTracestate(span.traceState?.serialize()),
    span.spanId.toLowerCase(),
  );
}
