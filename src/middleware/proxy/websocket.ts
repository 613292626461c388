/**
 * WebSocket upgrades, built on http-proxy-middleware's `upgrade`. Upgrades never pass through
 * Express's router or Koa's stack (Node emits them on the server's `upgrade` event), so the
 * helper matches `prefix` itself and gives the target function Node's request.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { API_KEY_HEADER } from './headers.js';
import type { ProxyConfig } from './options.js';

/** `server.on('upgrade', mw.upgrade)`; returns whether this proxy took the upgrade. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

interface UpgradePlan {
  readonly target: string;
  readonly path: string;
}

const NOT_HANDLED: UpgradeHandler = () => false;

/**
 * `matchPath(url)` returns the forwarded path (prefix stripped) or undefined when the upgrade
 * is not for this proxy; `pickTarget(req)` chooses the upstream.
 */
export function createUpgradeHandler(
  config: ProxyConfig,
  matchPath: (url: string) => string | undefined,
  pickTarget: (req: unknown) => Promise<URL>,
): UpgradeHandler {
  if (!config.ws) return NOT_HANDLED;
  const plans = new WeakMap<IncomingMessage, UpgradePlan>();
  const wsProxy = createProxyMiddleware({
    ws: true,
    changeOrigin: config.changeOrigin,
    xfwd: config.xfwd,
    // Our own error handling below; the default plugins log and answer HTTP errors.
    ejectPlugins: true,
    router: (req) => plans.get(req)?.target,
    pathRewrite: (path, req) => plans.get(req)?.path ?? path,
    on: {
      proxyReqWs(proxyReq) {
        if (!config.forwardApiKey) proxyReq.removeHeader(API_KEY_HEADER);
        for (const name of config.requestHeaders.remove) proxyReq.removeHeader(name);
        for (const [name, value] of config.requestHeaders.set) proxyReq.setHeader(name, value);
      },
      // http-proxy ends the client socket itself after reporting the error.
      error() {},
    },
  });

  return function upgrade(req, socket, head): boolean {
    const path = matchPath(req.url ?? '/');
    if (path === undefined) return false;
    socket.on('error', () => socket.destroy());
    void (async () => {
      const target = await pickTarget(req);
      const forwarded = config.rewrite === undefined ? path : await config.rewrite(path, req);
      plans.set(req, { target: target.href, path: forwarded });
      wsProxy.upgrade(req, socket as never, head);
    })().catch(() => {
      socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    return true;
  };
}
