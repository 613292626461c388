/**
 * HTTP integrations forwarded by `gateway.proxy`: one proxy per upstream origin and timeout,
 * sharing keep-alive agents, told per request (`forwardAs`) which path and headers to send; the
 * client's request itself is left as it came.
 */

import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Exchange, Next } from '../../core/exchange.js';
import { coreHandlerOf } from '../../core/middleware.js';
import { type ProxyMiddleware, proxy } from '../proxy/index.js';
import { forwardAs } from '../proxy/override.js';
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
    return (ex, next, pathAndQuery, headers) => {
      forwardAs(ex, { path: pathAndQuery, headers });
      return handler(ex, next);
    };
  }

  private proxyFor(origin: string, timeout: number): ProxyMiddleware {
    const key = `${timeout} ${origin}`;
    let built = this.proxies.get(key);
    if (built === undefined) {
      const agent = origin.toLowerCase().startsWith('https:') ? this.httpsAgent() : this.http;
      built = proxy({ target: origin, timeout, agent });
      this.proxies.set(key, built);
    }
    return built;
  }

  private httpsAgent(): HttpsAgent {
    if (this.https === undefined) this.https = new HttpsAgent({ keepAlive: true });
    return this.https;
  }

  /** Ends the kept-alive upstream connections (at shutdown). */
  close(): void {
    this.http.destroy();
    this.https?.destroy();
  }
}
