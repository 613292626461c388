/**
 * Real upstream servers for the proxy tests, on 127.0.0.1 with random ports: an echo server
 * with a few misbehaving routes (slow, reset, invalid answer, large body), a dead port and a
 * WebSocket echo.
 */

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import express5 from 'express';
import express4 from 'express4';
import { WebSocketServer } from 'ws';
import type { GatewayMiddleware } from '../../src/index.js';
import type { FrameworkName } from './frameworks.js';

/** What the echo route answers: the request exactly as the upstream received it. */
export interface EchoReply {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The body as UTF-8 text. */
  body: string;
  bodyLength: number;
  bodySha256: string;
}

export interface Upstream {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Requests received, per path (without the query). */
  readonly hits: Map<string, number>;
  /** Bytes `/large` has produced so far (handed to the socket, subject to backpressure). */
  readonly generated: { bytes: number };
  /**
   * Events: `request` (req) when a request arrives, `first-bytes` (path) when the first body
   * chunk of a request arrives, `aborted` (path) when a client went away before the answer.
   */
  readonly events: EventEmitter;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** A lazily generated body of `size` bytes, produced as fast as the reader takes it. */
export function generatedBody(size: number, chunkSize = 64 * 1024): Readable {
  const chunk = Buffer.alloc(chunkSize, 'x');
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, chunkSize);
      left -= n;
      this.push(n === chunkSize ? chunk : chunk.subarray(0, n));
    },
  });
}

function param(url: URL, name: string, fallback: number): number {
  const value = url.searchParams.get(name);
  return value === null ? fallback : Number(value);
}

/**
 * The echo upstream. Routes (any method):
 * - `/slow?ms=N`: answers the echo after N ms (emits `aborted` if the client left first).
 * - `/hang`: never answers (emits `aborted` when the proxy gives up).
 * - `/status/N`: answers status N with the echo (no body for 204/304).
 * - `/cors`: the echo with `Access-Control-Allow-Origin: *` and `-Credentials: true`.
 * - `/hop`: the echo with hop-by-hop headers (`Connection: x-hop`, `X-Hop`, `Keep-Alive`).
 * - `/reset`: destroys the connection without answering.
 * - `/reset-mid`: sends headers and part of the body, then destroys the connection.
 * - `/untyped`: `raw bytes` without a Content-Type (Content-Length 9).
 * - `/stall-body`: sends headers (Content-Length 1000) and part of the body, then nothing more
 *   (emits `aborted` when the proxy gives up).
 * - `/invalid`: answers bytes that are not HTTP.
 * - `/large?mib=N`: streams N MiB (default 100) of `x`.
 * - `/cookies`: two `Set-Cookie` headers.
 * - anything else: the echo (JSON).
 */
export async function startEchoUpstream(): Promise<Upstream> {
  const events = new EventEmitter();
  const hits = new Map<string, number>();
  const generated = { bytes: 0 };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    const path = url.pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    events.emit('request', req);

    if (path === '/reset') {
      req.socket.destroy();
      return;
    }
    if (path === '/invalid') {
      req.socket.end('this is not HTTP\r\n\r\n');
      return;
    }
    if (path === '/large') {
      const size = param(url, 'mib', 100) * MiB;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      generatedBody(size)
        .on('data', (chunk: Buffer) => {
          generated.bytes += chunk.length;
        })
        .pipe(res);
      return;
    }
    if (path === '/untyped') {
      res.writeHead(200, { 'content-length': 9 });
      res.end('raw bytes');
      return;
    }
    if (path === '/stall-body') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 1000 });
      res.write('partial body ');
      res.on('close', () => events.emit('aborted', path));
      return;
    }
    if (path === '/reset-mid') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 1000 });
      res.write('partial body ');
      setImmediate(() => req.socket.destroy());
      return;
    }

    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      if (length === 0) events.emit('first-bytes', path);
      length += chunk.length;
      hash.update(chunk);
      // Big uploads are only counted and hashed, never kept.
      if (length <= MiB) chunks.push(chunk);
    });
    req.on('end', () => {
      const reply: EchoReply = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: length <= MiB ? Buffer.concat(chunks).toString('utf8') : '',
        bodyLength: length,
        bodySha256: hash.digest('hex'),
      };
      const send = (status = 200, extra: Record<string, string | string[]> = {}) => {
        if (res.destroyed) return;
        const noBody = status === 204 || status === 304;
        const text = JSON.stringify(reply);
        res.writeHead(status, {
          ...(noBody ? {} : { 'content-type': 'application/json; charset=utf-8' }),
          ...extra,
        });
        res.end(noBody ? undefined : text);
      };
      if (path === '/slow' || path === '/hang') {
        const timer =
          path === '/slow' ? setTimeout(() => send(), param(url, 'ms', 1000)) : undefined;
        res.on('close', () => {
          clearTimeout(timer);
          if (!res.writableFinished) events.emit('aborted', path);
        });
        return;
      }
      if (path.startsWith('/status/')) return send(Number(path.slice('/status/'.length)));
      if (path === '/cors')
        return send(200, {
          'access-control-allow-origin': '*',
          'access-control-allow-credentials': 'true',
        });
      if (path === '/hop')
        return send(200, {
          connection: 'x-hop',
          'x-hop': 'must not pass',
          'keep-alive': 'timeout=99',
          'x-kept': 'yes',
        });
      if (path === '/cookies') return send(200, { 'set-cookie': ['a=1; Path=/', 'b=2; Path=/'] });
      send();
    });
  };

  const server = createServer(handle);
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    hits,
    generated,
    events,
    close: () => closeServer(server),
  };
}

/**
 * A port on 127.0.0.1 where nothing listens: connections are refused. Taken below 1024, where
 * `listen(0)` never allocates (the ephemeral range starts far higher), so no other test file's
 * server can take it between this check and its use; each candidate is checked to refuse.
 */
export async function deadPort(): Promise<{ url: string; port: number }> {
  for (const port of [9, 1, 7, 13, 17, 19, 47, 51, 61]) {
    if (await refuses(port)) return { url: `http://127.0.0.1:${port}`, port };
  }
  throw new Error('no refusing low port found on 127.0.0.1');
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/** A TCP server that accepts connections and resets them at once (before any answer). */
export async function startResettingUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => socket.resetAndDestroy());
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A WebSocket echo upstream: echoes each message prefixed with `echo:`; `/headers` sends the upgrade request's path and headers first. */
export async function startWebSocketUpstream(): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  const server = createServer((_req, res) => {
    res.writeHead(426).end();
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    socket.send(JSON.stringify({ url: req.url, headers: req.headers }));
    socket.on('message', (data) => socket.send(`echo:${data.toString()}`));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closeServer(server);
    },
  };
}

/**
 * Mounts `middleware` under `path` as each framework does it: an Express router
 * (`router.use(path, mw)` strips the prefix from `req.url`); Koa has no mounting, so the
 * middleware is used as is (the proxy's `prefix` option does the rest).
 */
export function mountAt(
  framework: FrameworkName,
  path: string,
  middleware: GatewayMiddleware,
): { express?: (...args: never[]) => unknown; koa?: (...args: never[]) => unknown } {
  if (framework === 'koa2' || framework === 'koa3') return { koa: middleware as never };
  const router = (framework === 'express4' ? express4 : express5).Router();
  router.use(path, middleware as never);
  return { express: router as never };
}

/**
 * An upstream that answers the first request on each connection (keeping it open, without a
 * Keep-Alive hint) and resets the connection on the next one: a kept-alive socket that went
 * stale between two requests.
 */
export async function startStaleKeepAliveUpstream(): Promise<{
  url: string;
  connections: () => number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let served = 0;
    socket.on('data', () => {
      if (served++ === 0)
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok');
      else socket.resetAndDestroy();
    });
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
