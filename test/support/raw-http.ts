/**
 * HTTP/1.1 over raw sockets for framing tests: a client that writes exact bytes (odd framing,
 * several requests on one kept-alive connection) and parses the answers itself, and an upstream
 * that records every request its parser sees, so that a smuggled request shows up as one more.
 */

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** One response as parsed off the wire. */
export interface RawResponse {
  status: number;
  /** Lower-case names; repeated fields joined with `, `. */
  headers: Record<string, string>;
  body: string;
}

/** One request as the upstream's parser saw it. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Which upstream connection it came on (1, 2, ...). */
  connection: number;
}

export interface RecordingUpstream {
  readonly url: string;
  /** Every request parsed, in order. */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * An upstream that records each request it parses and answers `200 <method> <url> <body>`,
 * keeping connections alive.
 */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const requests: RecordedRequest[] = [];
  const connections = new WeakMap<Socket, number>();
  let connectionCount = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('latin1');
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        connection: connections.get(req.socket) ?? 0,
      });
      res.setHeader('content-type', 'text/plain');
      res.end(`${req.method} ${req.url} ${body}`);
    });
  });
  server.on('connection', (socket) => connections.set(socket, ++connectionCount));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A raw connection: write bytes, read parsed responses (HEAD-aware), see it close. */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves once the peer closed the connection (or after `ms`, with false). */
  async waitClosed(ms = 2000): Promise<boolean> {
    const until = performance.now() + ms;
    while (!this.closed && performance.now() < until) await this.more(until - performance.now());
    return this.closed;
  }

  /** The next response; `method` tells whether it can have a body (HEAD). Undefined if the connection closed first. */
  async response(method = 'GET', ms = 3000): Promise<RawResponse | undefined> {
    const until = performance.now() + ms;
    for (;;) {
      const parsed = parseResponse(this.buffer, method, this.closed);
      if (parsed !== undefined) {
        this.buffer = this.buffer.subarray(parsed.used);
        return parsed.response;
      }
      if (this.closed || performance.now() >= until) return undefined;
      await this.more(until - performance.now());
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private more(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, ms));
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Parses one response from the start of `data`, or undefined when more bytes are needed. */
function parseResponse(
  data: Buffer,
  method: string,
  closed: boolean,
): { response: RawResponse; used: number } | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(statusLine!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const start = end + 4;
  const done = (bodyEnd: number, body: string) => ({
    response: { status, headers, body },
    used: bodyEnd,
  });
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return done(start, '');
  if (headers['transfer-encoding'] !== undefined) return parseChunked(data, start, done);
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (data.length < start + length) return undefined;
    return done(start + length, data.subarray(start, start + length).toString('latin1'));
  }
  return closed ? done(data.length, data.subarray(start).toString('latin1')) : undefined;
}

function parseChunked<T>(
  data: Buffer,
  start: number,
  done: (bodyEnd: number, body: string) => T,
): T | undefined {
  let at = start;
  const parts: Buffer[] = [];
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) {
      const trailerEnd = data.indexOf('\r\n', lineEnd + 2);
      if (trailerEnd === -1) return undefined;
      return done(trailerEnd + 2, Buffer.concat(parts).toString('latin1'));
    }
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** `body` as one chunk of a chunked body, with the last chunk. */
export function chunked(body: string): string {
  return body === ''
    ? '0\r\n\r\n'
    : `${Buffer.byteLength(body, 'latin1').toString(16)}\r\n${body}\r\n0\r\n\r\n`;
}
