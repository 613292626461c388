/**
 * Peer: http-proxy-middleware used directly. `keepalive` as argument gives it a keep-alive agent;
 * without, its default (a new upstream connection per request).
 */

import http from 'node:http';
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { serve, upstream } from './_common.mjs';

const keepAlive = process.argv.includes('keepalive');
const app = express();
app.use(
  '/hello',
  createProxyMiddleware({
    target: upstream(),
    changeOrigin: true,
    ...(keepAlive ? { agent: new http.Agent({ keepAlive: true }) } : {}),
  }),
);
serve(app);
