/**
 * WebSocket upgrades, built on http-proxy-middleware's `upgrade`. Upgrades never pass through
 * Express's router or Koa's stack (Node emits them on the server's `upgrade` event), so the
 * helper matches `prefix` itself and gives the target function Node's request.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyMiddleware } from 'http-proxy-middleware';
import type { ProxyConfig } from './options.js';
import { upstreamPath } from './paths.js';

/** `server.on('upgrade', mw.upgrade)`; returns whether this proxy took the upgrade. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

interface UpgradePlan {
  readonly target: string;
  readonly path: string;
}

const NOT_HANDLED: UpgradeHandler = () => false;

const BAD_GATEWAY = 'HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

/** Answers 502 on a socket the upgrade failed on, unless the upstream's answer already began. */
function rejectUpgrade(socket: Duplex): void {
  const written = (socket as { bytesWritten?: number }).bytesWritten ?? 0;
  if (written === 0 && socket.writable) socket.end(BAD_GATEWAY);
  else socket.destroy();
}

/**
 * `matchPath(url)` returns the forwarded path (prefix stripped) or undefined when the upgrade
 * is not for this proxy; `pickTarget(req)` chooses the upstream.
 */
export function createUpgradeHandler(
  config: ProxyConfig,
  matchPath: (url: string) => string | undefined,
  pickTarget: (req: unknown) => URL | Promise<URL>,
): UpgradeHandler {
  if (!config.ws) return NOT_HANDLED;
  const plans = new WeakMap<IncomingMessage, UpgradePlan>();
  const wsProxy = createProxyMiddleware({
    ws: true,
    changeOrigin: config.changeOrigin,
    xfwd: config.xfwd,
    // The default plugins log and answer errors their own way; with them ejected, events are
    // subscribed in a plugin (`on` is only wired by a default plugin).
    ejectPlugins: true,
    router: (req) => plans.get(req)?.target,
    pathRewrite: (path, req) => plans.get(req)?.path ?? path,
    plugins: [
      (server) => {
        server.on('proxyReqWs', (proxyReq) => {
          if (!config.forwardApiKey)
            for (const name of config.apiKeyHeaders) proxyReq.removeHeader(name);
          for (const name of config.requestHeaders.remove) proxyReq.removeHeader(name);
          for (const [name, value] of config.requestHeaders.set) proxyReq.setHeader(name, value);
        });
        // http-proxy ends the client socket after reporting; answer 502 if nothing was sent yet.
        server.on('error', (_err, _req, socket) => rejectUpgrade(socket as unknown as Duplex));
      },
    ],
  });

  return function upgrade(req, socket, head): boolean {
    const path = matchPath(req.url ?? '/');
    if (path === undefined) return false;
    socket.on('error', () => socket.destroy());
    void (async () => {
      const target = await pickTarget(req);
      const rewritten = config.rewrite === undefined ? path : await config.rewrite(path, req);
      // The same confinement and API key rules as for HTTP requests (paths.ts).
      const forwarded = upstreamPath(config, rewritten, req.url ?? '/');
      if (forwarded === undefined) {
        socket.end(BAD_REQUEST);
        return;
      }
      plans.set(req, { target: target.href, path: forwarded });
      wsProxy.upgrade(req, socket as never, head);
    })().catch(() => rejectUpgrade(socket));
    return true;
  };
}
