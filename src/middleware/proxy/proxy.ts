/** `gateway.proxy()`: API Gateway's HTTP proxy integration as a middleware. */

import { Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createMiddleware } from '../../adapters/universal.js';
import { sendPrepared } from '../../core/errors.js';
import type { Exchange, Next } from '../../core/exchange.js';
import type { AnyRequest, GatewayMiddleware } from '../../core/middleware.js';
import { type RequestBody, requestBody } from './body.js';
import {
  type AttemptResult,
  ClientWatch,
  integrationErrorKind,
  readWholeBody,
  sendUpstream,
} from './forward.js';
import { type RequestFraming, requestFraming } from './framing.js';
import { copyResponseHeaders, upstreamRequestHeaders } from './headers.js';
import { watchIdleBody } from './idle.js';
import {
  type ProxyConfig,
  type ProxyOptions,
  resolveProxyOptions,
  type TargetFunction,
  type TargetUrl,
} from './options.js';
import { forwardOverrideOf } from './override.js';
import { forwardedPath, upstreamPath } from './paths.js';
import { TargetCache, TargetPool } from './targets.js';
import { createUpgradeHandler, type UpgradeHandler } from './websocket.js';

/** What `proxy()` returns besides being a middleware. */
export interface ProxyExtras {
  /**
   * Proxies a WebSocket upgrade when `ws: true` (else does nothing): hook it to the HTTP
   * server, `server.on('upgrade', mw.upgrade)`. Returns whether this proxy took the upgrade
   * (its `prefix` matched), so several proxies can be chained.
   */
  readonly upgrade: UpgradeHandler;
  /**
   * Destroys the upstream connections of the middleware's own keep-alive agents (at shutdown,
   * so that pooled sockets do not keep the process alive); later requests open new ones.
   */
  close(): void;
}

export type ProxyMiddleware = GatewayMiddleware & ProxyExtras;

/** RFC 9110 §9.2.2: methods a retry cannot make worse. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** A response to a HEAD request, or with 1xx/204/304, has no body (RFC 9110 §6.4.1). */
function hasNoBody(method: string, status: number): boolean {
  return method === 'HEAD' || status < 200 || status === 204 || status === 304;
}

/**
 * Sends the request to an upstream and streams its answer back through the framework, so that
 * `cache` and `cors` placed before it act on proxied responses as on local ones.
 *
 * @example
 * app.use('/orders', gateway.proxy('http://127.0.0.1:9000'));        // Express
 * app.use(gateway.proxy({ target: 'http://127.0.0.1:9000', prefix: '/orders' })); // Koa
 */
export function proxy<Req = AnyRequest>(
  targetOrOptions: TargetUrl | readonly TargetUrl[] | TargetFunction<Req> | ProxyOptions<Req>,
): ProxyMiddleware {
  const config = resolveProxyOptions(targetOrOptions);
  const ownAgents = config.agent === undefined;
  const httpAgent = config.agent === undefined ? new HttpAgent({ keepAlive: true }) : undefined;
  let httpsAgent: HttpsAgent | undefined;
  const agentFor = (target: URL) => {
    if (config.agent !== undefined) return config.agent;
    if (target.protocol === 'http:') return httpAgent!;
    httpsAgent ??= new HttpsAgent({ keepAlive: true });
    return httpsAgent;
  };

  const targets = config.targets;
  const pool =
    targets.kind === 'list'
      ? new TargetPool(targets.urls, config.ejectForMs, config.clock)
      : undefined;
  const parsed = new TargetCache();
  /** Synchronous for a fixed list (the common case), so that no promise is made for it. */
  const pickTarget = (req: unknown): URL | Promise<URL> => {
    if (targets.kind === 'list') return pool!.pick();
    const picked: unknown = targets.pick(req);
    return typeof picked === 'string' || picked instanceof URL
      ? parsed.resolve('proxy', picked)
      : Promise.resolve(picked).then((value) => parsed.resolve('proxy', value));
  };

  /** One attempt, then at most one retry: on another upstream after a refused connection, or on a fresh connection after a stale kept-alive one was reset. */
  const exchange = async (
    ex: Exchange,
    path: string,
    framing: RequestFraming,
    body: RequestBody,
    watch: ClientWatch,
    deadline: number,
  ): Promise<AttemptResult> => {
    const picked = pickTarget(ex.native);
    let target = picked instanceof URL ? picked : await picked;
    const attempt = (to: URL) =>
      sendUpstream({
        target: to,
        path,
        method: ex.method,
        headers: upstreamRequestHeaders(
          ex,
          config,
          to,
          framing,
          body.kind === 'bytes' ? body.bytes.length : undefined,
        ),
        body,
        source: ex.req,
        agent: agentFor(to),
        deadline,
        watch,
      });
    const result = await attempt(target);
    if (result.kind !== 'error') return result;
    if (result.refused) pool?.eject(target);
    const replayable = body.kind !== 'stream' && IDEMPOTENT.has(ex.method);
    if (!replayable) return result;
    if (result.refused) {
      const next = pool?.alternative(target);
      if (next === undefined) return result;
      target = next;
    } else if (!(result.reusedSocket && result.error.code === 'ECONNRESET')) return result;
    return attempt(target);
  };

  const handler = async function proxy(ex: Exchange, next: Next): Promise<void> {
    const override = forwardOverrideOf(ex);
    const path = override?.path ?? forwardedPath(config, ex.url, ex.originalUrl);
    if (path === undefined) return next();
    const framing = requestFraming(ex.req);
    if (framing === 'invalid') return refuse(ex, config);
    const rewritten =
      override !== undefined || config.rewrite === undefined
        ? path
        : await config.rewrite(path, ex.native);
    const forwarded = upstreamPath(config, rewritten, ex.url);
    if (forwarded === undefined) return refuse(ex, config);
    const body = requestBody(ex, framing);
    const started = performance.now();
    // One deadline for the response headers and, when read whole, its body.
    const deadline = started + config.timeout;
    const watch = new ClientWatch(ex.res);
    const result = await exchange(ex, forwarded, framing, body, watch, deadline);
    // Also on 502/504: the access log wants to know how long the upstream was waited for.
    ex.gateway.integrationLatency = Math.round(performance.now() - started);
    if (result.kind === 'response') ex.gateway.integrationStatus = result.response.statusCode;
    switch (result.kind) {
      case 'gone':
        return;
      case 'timeout':
        ex.gateway.integrationTimedOut = true;
        ex.gateway.integrationError = 'timeout';
        return sendPrepared(ex, config.timeoutResponse);
      case 'error':
        ex.gateway.integrationError = integrationErrorKind(result.error);
        return sendPrepared(ex, config.badGateway);
      case 'response': {
        if (watch.closed) {
          // The client left between the upstream's headers and now.
          result.response.destroy();
          return;
        }
        watch.upstream = result.response;
        const length = wholeBodyLength(ex.method, config, result.response);
        if (length === undefined) relay(ex, config, result.response);
        else return relayWhole(ex, config, result.response, length, watch, deadline);
      }
    }
  };

  const upgrade = createUpgradeHandler(
    config,
    (url) => forwardedPath(config, url, url),
    pickTarget,
  );

  return createMiddleware('proxy', handler, {
    upgrade,
    close() {
      if (!ownAgents) return;
      httpAgent?.destroy();
      httpsAgent?.destroy();
    },
  });
}

/** `Connection: close` on a refusal: the rest of the connection cannot be parsed reliably. */
const CLOSE: ReadonlyArray<readonly [string, string]> = [['connection', 'close']];

/**
 * Answers 400 (ambiguous framing, a path escaping the target) without forwarding anything, and
 * closes the client connection as nginx does after a framing error: the unread body's extent is
 * exactly what is in doubt.
 */
function refuse(ex: Exchange, config: ProxyConfig): void {
  sendPrepared(ex, config.badRequest, CLOSE);
}

/**
 * The declared length of an upstream body small enough to read whole (`bufferResponsesUpTo`),
 * or undefined to stream it: chunked, too long, or no body to read.
 */
function wholeBodyLength(
  method: string,
  config: ProxyConfig,
  upstream: IncomingMessage,
): number | undefined {
  const declared = upstream.headers['content-length'];
  if (declared === undefined || config.bufferResponsesUpTo === 0) return undefined;
  const length = Number(declared);
  if (!Number.isSafeInteger(length) || length > config.bufferResponsesUpTo) return undefined;
  return hasNoBody(method, upstream.statusCode ?? 502) ? undefined : length;
}

/**
 * Reads a small upstream body whole, then answers with it as one Buffer: cheaper for every
 * framework than a stream, and a body the upstream breaks off becomes a 502 before anything
 * was sent to the client (API Gateway reads integration responses whole too).
 */
async function relayWhole(
  ex: Exchange,
  config: ProxyConfig,
  upstream: IncomingMessage,
  length: number,
  watch: ClientWatch,
  deadline: number,
): Promise<void> {
  const body = await readWholeBody(upstream, length, deadline);
  if (watch.closed) return;
  if (body === 'timeout') {
    ex.gateway.integrationTimedOut = true;
    ex.gateway.integrationError = 'timeout';
    return sendPrepared(ex, config.timeoutResponse);
  }
  if (body === 'broken') {
    ex.gateway.integrationError = 'reset';
    return sendPrepared(ex, config.badGateway);
  }
  copyResponseHeaders(ex, upstream.headers, config);
  ex.respond(upstream.statusCode ?? 502, body);
}

/** Hands the upstream response to the framework: status, headers, then the body as a stream. */
function relay(ex: Exchange, config: ProxyConfig, upstream: IncomingMessage): void {
  copyResponseHeaders(ex, upstream.headers, config);
  const status = upstream.statusCode ?? 502;
  // A reset mid-body must end the client's response too: Koa 2 pipes without propagating it.
  upstream.once('error', () => {
    ex.gateway.integrationError ??= 'reset';
    ex.res.destroy();
  });
  if (hasNoBody(ex.method, status)) upstream.resume();
  else watchIdleBody(upstream, config.idleTimeout, () => stalled(ex, config, upstream));
  ex.respondStream(status, upstream);
}

/**
 * A streamed body went silent: the upstream connection is destroyed (it cannot be reused
 * mid-body) and the client's response cut short (destroyed, so that it never looks complete).
 * The error says why to a framework that reports stream errors (Koa's `error` event).
 */
function stalled(ex: Exchange, config: ProxyConfig, upstream: IncomingMessage): void {
  ex.gateway.integrationTimedOut = true;
  ex.gateway.integrationError = 'timeout';
  upstream.destroy(
    Object.assign(
      new Error(
        `portcullis.proxy: the upstream response body was idle for ${config.idleTimeout} ms`,
      ),
      { code: 'ETIMEDOUT' },
    ),
  );
  ex.res.destroy();
}
