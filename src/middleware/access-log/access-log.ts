/** `gateway.accessLog()`: one record per request, as API Gateway's CloudWatch access logs. */

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createMiddleware } from '../../adapters/universal.js';
import type { GatewayContext } from '../../core/context.js';
import type { Exchange, Next } from '../../core/exchange.js';
import type { AnyRequest, GatewayMiddleware } from '../../core/middleware.js';
import { traceContextOf } from '../../core/trace.js';
import {
  type AccessLogConfig,
  type AccessLogOptions,
  resolveAccessLogOptions,
  SCOPE,
} from './options.js';
import { type AccessLogRecord, buildRecord, type RequestStart } from './record.js';
import { LineWriter } from './writer.js';

/** What `accessLog()` returns besides being a middleware. */
export interface AccessLogExtras {
  /** Writes the lines still queued for the default output now (they are also flushed at exit). */
  flush(): void;
}

export type AccessLogMiddleware = GatewayMiddleware & AccessLogExtras;

/** Marks a request already being logged: two access logs on one request write one record. */
const kLogged = Symbol('portcullis.accessLog.logged');

/** Statuses whose responses have no body (RFC 9110 §6.4.1). */
const BODILESS = new Set([204, 304]);

/**
 * Logs every request once its response is over: finished, or cut short because the client went
 * away (`aborted: true`). Mount it first, so that it sees the gateway's own refusals and cache
 * hits.
 *
 * @example
 * app.use(gateway.accessLog());                                  // JSON lines to stdout
 * app.use(gateway.accessLog({ format: 'clf', logger: pino() }));  // Express or Koa alike
 */
export function accessLog<Req = AnyRequest>(
  options: AccessLogOptions<Req> = {},
): AccessLogMiddleware {
  const config = resolveAccessLogOptions(options as AccessLogOptions);
  const warnings = new Set<string>();
  const warnOnce = (what: string, err: unknown): void => {
    if (warnings.has(what)) return;
    warnings.add(what);
    const reason = err instanceof Error ? err.message : String(err);
    process.emitWarning(`portcullis.${SCOPE}: ${what} failed (${reason})`, {
      code: 'PORTCULLIS_HOOK_FAILED',
    });
  };
  const writer =
    config.logger === undefined
      ? new LineWriter(config.destination, (err) => warnOnce('writing the log', err))
      : undefined;
  const emit = outputOf(config, writer, warnOnce);

  const handler = function accessLog(ex: Exchange, next: Next) {
    const gateway = ex.gateway as GatewayContext & { [kLogged]?: true };
    if (gateway[kLogged] === true) return next();
    gateway[kLogged] = true;
    // Now, not when the response closes: an OpenTelemetry span is active in the request's
    // asynchronous context, not in the connection's `close` event.
    traceContextOf(ex);
    watchResponse(ex, config, emit, warnOnce);
    return next();
  };

  return createMiddleware('accessLog', handler, {
    flush() {
      writer?.flush();
    },
  });
}

type Emit = (record: AccessLogRecord) => void;
type WarnOnce = (what: string, err: unknown) => void;

/** Formats a record and hands it to the logger or the line writer; never throws. */
function outputOf(
  config: AccessLogConfig,
  writer: LineWriter | undefined,
  warnOnce: WarnOnce,
): Emit {
  const { format, logger } = config;
  return (record) => {
    let formatted: unknown;
    try {
      formatted = format(record);
    } catch (err) {
      warnOnce('format(record)', err);
      return;
    }
    if (!isLine(formatted)) {
      warnOnce('format(record)', new TypeError(`returned ${describeValue(formatted)}`));
      return;
    }
    if (logger !== undefined) {
      try {
        logger.info(formatted);
      } catch (err) {
        warnOnce('logger.info()', err);
      }
      return;
    }
    let line: string;
    try {
      line = typeof formatted === 'string' ? formatted : JSON.stringify(formatted);
    } catch (err) {
      // A user's object that JSON cannot represent (a cycle, a BigInt).
      warnOnce('format(record)', err);
      return;
    }
    writer!.write(`${line}\n`);
  };
}

/** A string, or an object to serialise (not a promise: records are written synchronously). */
function isLine(value: unknown): value is string | object {
  if (typeof value === 'string') return true;
  if (typeof value !== 'object' || value === null) return false;
  return typeof (value as { then?: unknown }).then !== 'function';
}

function describeValue(value: unknown): string {
  if (value === null) return 'null, not a string or an object';
  if (typeof value === 'object') return 'a promise, not a string or an object';
  return `${typeof value}, not a string or an object`;
}

/**
 * Where the connection's byte count stood when Node gave it to a pipelined response (one that
 * waited for the response before it): the end of the earlier response's bytes.
 */
const kHandover = Symbol('portcullis.accessLog.handover');

type CountedSocket = Socket & { [kHandover]?: number };

/**
 * Writes the record when the response closes: Node emits `close` once per response, after
 * `finish` when it completed, alone when the connection went first. Body bytes are counted on
 * the connection, from its `bytesWritten` when this response got it to when the response ended,
 * less the head. A pipelined response that follows gets the connection when this one finishes,
 * before this `close`: its bytes start at the handover it records on the connection.
 */
function watchResponse(
  ex: Exchange,
  config: AccessLogConfig,
  emit: Emit,
  warnOnce: WarnOnce,
): void {
  const start: RequestStart = { epochMs: config.clock.now(), monotonicMs: performance.now() };
  const res = ex.res;
  // Node keeps the peer's address once read: read now, it is still known after a hang-up.
  void ex.req.socket.remoteAddress;
  let socket = res.socket as CountedSocket | null;
  let baseline = socket === null ? 0 : socket.bytesWritten;
  if (socket === null) {
    res.once('socket', (assigned: CountedSocket) => {
      socket = assigned;
      baseline = assigned.bytesWritten;
      assigned[kHandover] = baseline;
    });
  }
  res.on('close', () => {
    const aborted = !res.writableFinished;
    let written = 0;
    if (socket !== null) {
      const handover = socket[kHandover];
      const end =
        !aborted && handover !== undefined && handover > baseline ? handover : socket.bytesWritten;
      written = end - baseline;
    }
    const length = responseLength(ex, res, aborted, written);
    try {
      if (config.skip !== undefined && isSkipped(config, ex, warnOnce)) return;
      emit(buildRecord(ex, start, length, aborted, config.redactQuery));
    } catch (err) {
      // Nothing of the request's may crash the process from a `close` listener.
      warnOnce('building the record', err);
    }
  });
}

/** `skip(req, res)`; one that throws does not skip (the record is kept). */
function isSkipped(config: AccessLogConfig, ex: Exchange, warnOnce: WarnOnce): boolean {
  try {
    return config.skip!(ex.native, ex.res) === true;
  } catch (err) {
    warnOnce('skip(req, res)', err);
    return false;
  }
}

/**
 * Body bytes of the response: its `Content-Length` when it completed with one (exact, and free
 * of chunked framing); otherwise what went out on the connection after the head, which for a
 * chunked body includes its chunk framing.
 */
function responseLength(
  ex: Exchange,
  res: ServerResponse,
  aborted: boolean,
  written: number,
): number {
  if (!aborted && ex.method !== 'HEAD' && !BODILESS.has(res.statusCode)) {
    const declared = res.getHeader('content-length');
    if (declared !== undefined) {
      const length = Number(declared);
      if (Number.isSafeInteger(length) && length >= 0) return length;
    }
  }
  const head = (res as { _header?: string | null })._header;
  if (typeof head !== 'string') return 0;
  return Math.max(0, written - Buffer.byteLength(head, 'latin1'));
}
