/**
 * One upstream attempt over node:http. http-proxy-middleware v3 (http-proxy 1.18) is used for
 * WebSocket upgrades only; for plain HTTP its web pass does not fit the gateway's contract:
 * it cancels the upstream only on the request's `aborted` event, which Node >= 16 no longer
 * emits once the request body is complete (a client leaving while waiting would leave the
 * upstream request running); its `proxyTimeout` destroys the request with an ECONNRESET that
 * cannot be told from a real reset (504 vs 502); its `proxyReq` hook fires only on `socket`
 * and never with `Expect`, so fixing a consumed body there races the pipe; and it cannot retry
 * on another target. A direct `http.request` with a keep-alive agent is about as short.
 */

import {
  type Agent,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { IntegrationErrorKind } from '../../core/context.js';
import type { RequestBody } from './body.js';

export type AttemptResult =
  | { readonly kind: 'response'; readonly response: IncomingMessage }
  /** `refused`: no connection was made, nothing was sent. `reusedSocket`: a kept-alive socket failed. */
  | {
      readonly kind: 'error';
      readonly error: NodeJS.ErrnoException;
      readonly refused: boolean;
      readonly reusedSocket: boolean;
    }
  | { readonly kind: 'timeout' }
  /** The client went away: nobody to answer. */
  | { readonly kind: 'gone' };

export interface Attempt {
  readonly target: URL;
  /** Path and query to request, relative to the target's path. */
  readonly path: string;
  readonly method: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body: RequestBody;
  /** The client's request, piped upstream when `body.kind` is `'stream'`. */
  readonly source: IncomingMessage;
  readonly agent: Agent | false;
  /** `performance.now()` by which the response headers must have arrived. */
  readonly deadline: number;
  /** The client's connection: the attempt is abandoned when it closes. */
  readonly watch: ClientWatch;
}

/** Failures to connect at all: nothing reached the upstream, so another one may be tried. */
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The kind of an upstream request error, for logs and metrics (`gateway.integrationError`). */
export function integrationErrorKind(error: NodeJS.ErrnoException): IntegrationErrorKind {
  const code = error.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (CONNECT_ERRORS.has(code)) return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  if (code === 'ETIMEDOUT') return 'timeout';
  // Node's TLS errors (ERR_TLS_*, ERR_SSL_*) and OpenSSL's certificate verdicts.
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/.test(code)) return 'tls';
  return 'other';
}

/** `target.pathname` + `path`, as http-proxy joins them. */
export function joinPath(base: string, path: string): string {
  if (base === '/' || base === '') return path;
  return base.replace(/\/+$/, '') + path;
}

/** Sends one request upstream and resolves with its response headers or the reason there are none. */
export function sendUpstream(attempt: Attempt): Promise<AttemptResult> {
  const { target, watch } = attempt;
  return new Promise((resolve) => {
    if (watch.closed) {
      resolve({ kind: 'gone' });
      return;
    }
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)({
      protocol: target.protocol,
      // URL keeps IPv6 literals in brackets; net wants them bare.
      hostname: target.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: target.port === '' ? undefined : Number(target.port),
      method: attempt.method,
      path: joinPath(target.pathname, attempt.path),
      headers: attempt.headers,
      agent: attempt.agent,
    });
    let settled = false;
    const settle = (result: AttemptResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      watch.onClose = undefined;
      resolve(result);
    };
    const onAbort = (): void => {
      settle({ kind: 'gone' });
      request.destroy();
    };
    const timer = setTimeout(
      () => {
        settle({ kind: 'timeout' });
        request.destroy();
      },
      Math.max(0, attempt.deadline - performance.now()),
    );
    watch.onClose = onAbort;
    request.on('error', (error: NodeJS.ErrnoException) => {
      settle({
        kind: 'error',
        error,
        refused: CONNECT_ERRORS.has(error.code ?? ''),
        reusedSocket: request.reusedSocket,
      });
    });
    request.on('response', (response) => {
      if (settled) response.destroy();
      else settle({ kind: 'response', response });
    });
    const body = attempt.body;
    if (body.kind === 'stream') {
      // A client error mid-upload is seen by the exchange as the client leaving.
      attempt.source.on('error', onAbort);
      attempt.source.pipe(request);
    } else if (body.kind === 'bytes') request.end(body.bytes);
    else request.end();
  });
}

/**
 * Follows the client's connection: when it closes before the response is complete, the
 * pending upstream attempt is abandoned (`onClose`) and an upstream response being relayed is
 * destroyed (Express's `pipe` would otherwise leave it paused, holding its socket). A plain
 * flag and one callback slot rather than an AbortController: an attempt needs nothing more, and
 * an AbortSignal with its EventTarget listeners cost several µs per proxied request.
 */
export class ClientWatch {
  /** Whether the client's connection closed before its response was complete. */
  closed = false;
  /** Called once when the client leaves while an upstream attempt is pending. */
  onClose: (() => void) | undefined;
  upstream: IncomingMessage | undefined;

  constructor(res: ServerResponse) {
    if (res.destroyed) this.closed = true;
    else res.once('close', () => this.clientClosed(res));
  }

  private clientClosed(res: ServerResponse): void {
    if (res.writableFinished) return;
    this.closed = true;
    const onClose = this.onClose;
    this.onClose = undefined;
    onClose?.();
    if (this.upstream !== undefined && !this.upstream.complete) this.upstream.destroy();
  }
}

/** What reading a whole upstream body gave: the bytes, or why there are none. */
export type WholeBody = Buffer | 'timeout' | 'broken';

/**
 * Reads an upstream response body of a declared `length` into one Buffer, by `deadline`
 * (`performance.now()` ms). `'broken'` when the upstream ended it early, reset it or sent more
 * than it declared, or the client left (ClientWatch destroys the upstream response then).
 */
export function readWholeBody(
  upstream: IncomingMessage,
  length: number,
  deadline: number,
): Promise<WholeBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: WholeBody): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(
      () => {
        settle('timeout');
        upstream.destroy();
      },
      Math.max(0, deadline - performance.now()),
    );
    upstream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    upstream.once('end', () => {
      if (size !== length || !upstream.complete) settle('broken');
      else settle(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    // A reset emits 'error' (and 'aborted'), then 'close'; 'close' without 'end' is a break too.
    upstream.once('error', () => settle('broken'));
    upstream.once('close', () => settle('broken'));
  });
}
