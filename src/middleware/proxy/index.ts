export type {
  HeaderTransforms,
  PathRewriteFunction,
  ProxyOptions,
  TargetFunction,
  TargetUrl,
} from './options.js';
export { PROXY_DEFAULTS } from './options.js';
export { type ProxyExtras, type ProxyMiddleware, proxy } from './proxy.js';
export type { UpgradeHandler } from './websocket.js';
