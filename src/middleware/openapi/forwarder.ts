/**
 * HTTP integrations forwarded by `gateway.proxy`: one proxy per upstream origin and timeout,
 * sharing keep-alive agents, told per request which path and headers to send.
 */

import { Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { CoreHandler, Exchange, Next } from '../../core/exchange.js';
import { coreHandlerOf } from '../../core/middleware.js';
import { type ProxyMiddleware, proxy } from '../proxy/index.js';
import type { Findings } from './report.js';

/** Forwards one request with this path (and query) and, when given, these headers instead of the client's. */
export type Forward = (
  ex: Exchange,
  next: Next,
  pathAndQuery: string,
  headers: Record<string, string> | undefined,
) => PromiseLike<void> | void;

/** API Gateway's integration timeout: 50 ms to 29 s. */
const MIN_TIMEOUT = 50;
const MAX_TIMEOUT = 29_000;

export class Forwarder {
  private readonly proxies = new Map<string, ProxyMiddleware>();
  private readonly http = new HttpAgent({ keepAlive: true });
  private https: HttpsAgent | undefined;
  /**
   * The path each request in flight is forwarded to, keyed by the framework's request object:
   * the proxy hands that object to its `pathRewrite`, and nothing else of the request.
   */
  private readonly paths = new WeakMap<object, string>();
  private readonly rewrite = (_path: string, req: object): string => this.paths.get(req) ?? '/';

  /** The forward to `origin`, with `timeoutInMillis` (API Gateway's default, 29 s, when absent). */
  forwardTo(
    origin: string,
    timeout: number | undefined,
    pointer: string,
    findings: Findings,
  ): Forward {
    if (
      timeout !== undefined &&
      !(Number.isInteger(timeout) && timeout >= MIN_TIMEOUT && timeout <= MAX_TIMEOUT)
    )
      throw findings.error(
        pointer,
        `must be a whole number of milliseconds from ${MIN_TIMEOUT} to ${MAX_TIMEOUT}`,
      );
    const handler = coreHandlerOf(this.proxyFor(origin, timeout ?? MAX_TIMEOUT))!;
    return (ex, next, pathAndQuery, headers) =>
      this.forward(handler, ex, next, pathAndQuery, headers);
  }

  private proxyFor(origin: string, timeout: number): ProxyMiddleware {
    const key = `${timeout} ${origin}`;
    let built = this.proxies.get(key);
    if (built === undefined) {
      const agent = origin.toLowerCase().startsWith('https:') ? this.httpsAgent() : this.http;
      built = proxy({ target: origin, timeout, agent, pathRewrite: this.rewrite as never });
      this.proxies.set(key, built);
    }
    return built;
  }

  private httpsAgent(): HttpsAgent {
    if (this.https === undefined) this.https = new HttpsAgent({ keepAlive: true });
    return this.https;
  }

  private async forward(
    handler: CoreHandler,
    ex: Exchange,
    next: Next,
    pathAndQuery: string,
    headers: Record<string, string> | undefined,
  ): Promise<void> {
    const native = ex.native as object;
    this.paths.set(native, pathAndQuery);
    // The proxy copies what it forwards from the request's headers; a mapped set stands in for
    // them while it sends, and the request gets its own back once the upstream answered.
    const own = ex.req.headers;
    if (headers !== undefined) ex.req.headers = headers as IncomingHttpHeaders;
    try {
      await handler(ex, next);
    } finally {
      ex.req.headers = own;
      this.paths.delete(native);
    }
  }

  /** Ends the kept-alive upstream connections (at shutdown). */
  close(): void {
    this.http.destroy();
    this.https?.destroy();
  }
}
