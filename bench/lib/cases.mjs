/**
 * Every benchmark case: which scenario server, which request, how to tell that it answers
 * correctly, and what it is compared with (issue 8's table). A comparison's `target` is the
 * minimum req/s ratio over its baseline; `cpuAddedMaxUs` the most server CPU µs per request it
 * may add over that baseline.
 */

import { API_KEY, ORIGIN } from '../scenarios/_common.mjs';

/** The requests the load generator sends. Every GET case gets the same bytes, so only the server differs. */
export const REQUESTS = {
  get: {
    method: 'GET',
    path: '/hello',
    headers: { origin: ORIGIN, 'x-api-key': API_KEY },
  },
  preflight: {
    method: 'OPTIONS',
    path: '/hello',
    headers: {
      origin: ORIGIN,
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'content-type',
    },
  },
};

const json = { 'content-type': /^application\/json/ };
const ok = { status: 200, headers: json, body: /"message":"hello"/ };
const corsGet = { ...ok, headers: { ...json, 'access-control-allow-origin': ORIGIN } };
const corsPreflight = {
  status: 204,
  headers: { 'access-control-allow-origin': ORIGIN, 'access-control-allow-methods': /PUT/ },
};
/** A hit needs one earlier request to fill the cache. */
const cacheHit = { ...ok, headers: { ...json, 'cache-status': /^portcullis; hit/ } };
const proxied = { ...ok, headers: { ...json, 'x-upstream': 'bench' } };
const noKey = { method: 'GET', path: '/hello', headers: { origin: ORIGIN } };

/** Cases in the order they run in each round. `requires`: the `gateway` factories they need. */
export const CASES = [
  { name: 'node:http', file: 'node-http.mjs', request: 'get', expect: ok, compare: [] },

  // Express 5
  { name: 'express', file: 'express-bare.mjs', request: 'get', expect: ok, compare: [] },
  {
    name: 'express + cors',
    file: 'express-cors-package.mjs',
    request: 'get',
    expect: corsGet,
    compare: [{ baseline: 'express' }],
  },
  {
    name: 'express + gateway.cors',
    file: 'express-gateway-cors.mjs',
    requires: ['cors'],
    request: 'get',
    expect: corsGet,
    compare: [
      { baseline: 'express', target: 0.97, cpuAddedMaxUs: 5 },
      { baseline: 'express + cors', target: 1.0 },
    ],
  },
  {
    name: 'express + cors, preflight',
    file: 'express-cors-package.mjs',
    request: 'preflight',
    expect: corsPreflight,
    compare: [],
  },
  {
    name: 'express + gateway.cors, preflight',
    file: 'express-gateway-cors.mjs',
    requires: ['cors'],
    request: 'preflight',
    expect: corsPreflight,
    compare: [{ baseline: 'express + cors, preflight', target: 1.0 }],
  },
  {
    name: 'express + express-rate-limit',
    file: 'express-rate-limit.mjs',
    request: 'get',
    expect: { ...ok, headers: { ...json, ratelimit: true } },
    compare: [{ baseline: 'express' }],
  },
  {
    name: 'express + rate-limiter-flexible',
    file: 'express-rate-limiter-flexible.mjs',
    request: 'get',
    expect: ok,
    compare: [{ baseline: 'express' }],
  },
  {
    name: 'express + gateway.throttle',
    file: 'express-gateway-throttle.mjs',
    requires: ['throttle'],
    request: 'get',
    expect: { ...ok, headers: { ...json, ratelimit: true, 'ratelimit-policy': true } },
    compare: [
      { baseline: 'express', target: 0.95, cpuAddedMaxUs: 10 },
      { baseline: 'express + express-rate-limit', target: 1.1 },
      { baseline: 'express + rate-limiter-flexible', target: 1.1 },
    ],
  },
  {
    name: 'express + gateway.usagePlans',
    file: 'express-gateway-usage-plans.mjs',
    requires: ['usagePlans'],
    request: 'get',
    expect: ok,
    also: [{ request: noKey, expect: { status: 403, body: /Forbidden/ } }],
    compare: [{ baseline: 'express', target: 0.92, cpuAddedMaxUs: 20 }],
  },
  {
    name: 'express + apicache hit (5 ms route)',
    file: 'express-apicache.mjs',
    request: 'get',
    expect: ok,
    compare: [{ baseline: 'express' }],
  },
  {
    name: 'express + gateway.cache hit (5 ms route)',
    file: 'express-gateway-cache.mjs',
    requires: ['cache'],
    request: 'get',
    expect: cacheHit,
    compare: [
      { baseline: 'express', target: 0.95, cpuAddedMaxUs: 0 },
      { baseline: 'express + apicache hit (5 ms route)', target: 1.2 },
    ],
  },
  {
    name: 'express full stack: cors + usagePlans + throttle + cache hit',
    file: 'express-gateway-full-stack.mjs',
    requires: ['cors', 'usagePlans', 'throttle', 'cache'],
    request: 'get',
    expect: {
      ...cacheHit,
      headers: { ...cacheHit.headers, 'access-control-allow-origin': ORIGIN, ratelimit: true },
    },
    also: [{ request: noKey, expect: { status: 403, body: /Forbidden/ } }],
    compare: [{ baseline: 'express', target: 0.85, cpuAddedMaxUs: 0 }],
  },
  {
    name: 'express + http-proxy-middleware (default agent)',
    file: 'express-http-proxy-middleware.mjs',
    upstream: true,
    request: 'get',
    expect: proxied,
    compare: [{ baseline: 'express' }],
  },
  {
    name: 'express + http-proxy-middleware (keep-alive agent)',
    file: 'express-http-proxy-middleware.mjs',
    args: ['keepalive'],
    upstream: true,
    request: 'get',
    expect: proxied,
    compare: [{ baseline: 'express' }],
  },
  {
    name: 'express + gateway.proxy',
    file: 'express-gateway-proxy.mjs',
    requires: ['proxy'],
    upstream: true,
    request: 'get',
    expect: proxied,
    compare: [
      { baseline: 'express + http-proxy-middleware (keep-alive agent)', target: 0.95 },
      { baseline: 'express + http-proxy-middleware (default agent)', target: 0.95 },
      { baseline: 'express', cpuAddedMaxUs: 150 },
    ],
  },
  {
    name: 'express + gateway.cache hit on gateway.proxy',
    file: 'express-gateway-proxy-cache.mjs',
    requires: ['cache', 'proxy'],
    upstream: true,
    request: 'get',
    expect: { ...proxied, headers: { ...proxied.headers, 'cache-status': /^portcullis; hit/ } },
    compare: [{ baseline: 'express + gateway.proxy', target: 2.0 }],
  },

  // Koa 3
  { name: 'koa', file: 'koa-bare.mjs', request: 'get', expect: ok, compare: [] },
  {
    name: 'koa + @koa/cors',
    file: 'koa-cors-package.mjs',
    request: 'get',
    expect: corsGet,
    compare: [{ baseline: 'koa' }],
  },
  {
    name: 'koa + gateway.cors',
    file: 'koa-gateway-cors.mjs',
    requires: ['cors'],
    request: 'get',
    expect: corsGet,
    compare: [
      { baseline: 'koa', target: 0.97, cpuAddedMaxUs: 5 },
      { baseline: 'koa + @koa/cors', target: 1.0 },
    ],
  },
  {
    name: 'koa + @koa/cors, preflight',
    file: 'koa-cors-package.mjs',
    request: 'preflight',
    expect: corsPreflight,
    compare: [],
  },
  {
    name: 'koa + gateway.cors, preflight',
    file: 'koa-gateway-cors.mjs',
    requires: ['cors'],
    request: 'preflight',
    expect: corsPreflight,
    compare: [{ baseline: 'koa + @koa/cors, preflight', target: 1.0 }],
  },
  {
    name: 'koa + koa-ratelimit',
    file: 'koa-ratelimit.mjs',
    request: 'get',
    expect: { ...ok, headers: { ...json, 'x-ratelimit-remaining': true } },
    compare: [{ baseline: 'koa' }],
  },
  {
    name: 'koa + gateway.throttle',
    file: 'koa-gateway-throttle.mjs',
    requires: ['throttle'],
    request: 'get',
    expect: { ...ok, headers: { ...json, ratelimit: true, 'ratelimit-policy': true } },
    compare: [
      { baseline: 'koa', target: 0.95, cpuAddedMaxUs: 10 },
      { baseline: 'koa + koa-ratelimit', target: 1.1 },
    ],
  },
  {
    name: 'koa + gateway.usagePlans',
    file: 'koa-gateway-usage-plans.mjs',
    requires: ['usagePlans'],
    request: 'get',
    expect: ok,
    also: [{ request: noKey, expect: { status: 403, body: /Forbidden/ } }],
    compare: [{ baseline: 'koa', target: 0.92, cpuAddedMaxUs: 20 }],
  },
  {
    name: 'koa + gateway.cache hit (5 ms route)',
    file: 'koa-gateway-cache.mjs',
    requires: ['cache'],
    request: 'get',
    expect: cacheHit,
    compare: [{ baseline: 'koa', target: 0.95, cpuAddedMaxUs: 0 }],
  },
  {
    name: 'koa full stack: cors + usagePlans + throttle + cache hit',
    file: 'koa-gateway-full-stack.mjs',
    requires: ['cors', 'usagePlans', 'throttle', 'cache'],
    request: 'get',
    expect: {
      ...cacheHit,
      headers: { ...cacheHit.headers, 'access-control-allow-origin': ORIGIN, ratelimit: true },
    },
    also: [{ request: noKey, expect: { status: 403, body: /Forbidden/ } }],
    compare: [{ baseline: 'koa', target: 0.85, cpuAddedMaxUs: 0 }],
  },
  {
    name: 'koa + gateway.proxy',
    file: 'koa-gateway-proxy.mjs',
    requires: ['proxy'],
    upstream: true,
    request: 'get',
    expect: proxied,
    compare: [{ baseline: 'koa', cpuAddedMaxUs: 150 }],
  },
  {
    name: 'koa + gateway.cache hit on gateway.proxy',
    file: 'koa-gateway-proxy-cache.mjs',
    requires: ['cache', 'proxy'],
    upstream: true,
    request: 'get',
    expect: { ...proxied, headers: { ...proxied.headers, 'cache-status': /^portcullis; hit/ } },
    compare: [{ baseline: 'koa + gateway.proxy', target: 2.0 }],
  },
];
