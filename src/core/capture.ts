/**
 * Body capture: tees what is written to a Node `ServerResponse`, whoever writes it, so that a
 * middleware (the cache) can keep a copy of the body while it streams to the client.
 *
 * Every way of answering ends in `res.write`/`res.end` on the Node response: Express's
 * `send`/`json`/`pipe`, Koa's respond of a string, Buffer, JSON or stream body, and proxied
 * responses piped by either framework. So both are wrapped here, once per response (as
 * compression middlewares do), and never by the features themselves.
 */

import { ServerResponse } from 'node:http';
import type { Exchange } from './exchange.js';

/** How a capture ended. */
export type CaptureResult =
  | { readonly complete: true; readonly body: Buffer }
  | {
      readonly complete: false;
      /**
       * `too-large`: more than `limit` bytes were written (the response itself went on);
       * `aborted`: the response closed before it finished (error or client gone mid-stream);
       * `stopped`: the capturing middleware called `stop()`.
       */
      readonly reason: 'too-large' | 'aborted' | 'stopped';
    };

export interface CaptureOptions {
  /** Most bytes to keep; past it, buffering stops and the capture ends `too-large`. */
  readonly limit: number;
  /**
   * Runs once, just before the response's headers or first body byte go out, whichever comes
   * first. The status and headers on `res` are the writer's. Returning a Buffer replaces the
   * body: the hook has set the status and headers to go with it; whatever the writer writes from
   * then on is discarded and the response ends with the Buffer (the cache's stale-if-error).
   */
  readonly beforeWrite?: (res: ServerResponse) => Buffer | undefined;
  /** Runs once, when the response finished or closed. Not called after `stop()`. */
  readonly onEnd: (result: CaptureResult) => void;
}

/** A capture in progress. */
export interface Capture {
  /** Stops buffering and releases what was kept (e.g. the response turned out uncacheable). */
  stop(): void;
  /**
   * Whether the response's `Content-Encoding` is the work of a middleware that wrapped
   * `res.write`/`res.end` before this capture began (Express's `compression()` mounted earlier):
   * it encodes the bytes after the capture saw them, so the captured body is not in that
   * encoding. `undefined` when it cannot be told: the headers went out before any body byte
   * (an explicit `writeHead`) through such a wrapper. Ask once the headers are being written.
   */
  encodedOutside(): boolean | undefined;
}

type WriteCallback = (err?: Error | null) => void;
type Chunk = string | Buffer | Uint8Array;

const kTee = Symbol('portcullis.tee');

/** Node's own `write`/`end`: anything else was put there by a middleware. */
const NATIVE_WRITE = ServerResponse.prototype.write;
const NATIVE_END = ServerResponse.prototype.end;

/** The replacement once it has been sent: what follows is discarded. */
const EMPTY = Buffer.alloc(0);

interface TeedResponse extends ServerResponse {
  [kTee]?: Tee;
}

/** One capturing middleware's view of the response. */
class Sink implements Capture {
  chunks: Buffer[] | undefined = [];
  size = 0;
  done = false;

  constructor(
    readonly options: CaptureOptions,
    private readonly tee: Tee,
  ) {}

  encodedOutside(): boolean | undefined {
    return this.tee.encodedOutside();
  }

  /** `fresh`: the buffer was made for us (from a string); otherwise copy it. */
  collect(chunk: Buffer, fresh: boolean): void {
    const chunks = this.chunks;
    if (chunks === undefined) return;
    this.size += chunk.length;
    if (this.size > this.options.limit) this.finish({ complete: false, reason: 'too-large' });
    // Copy: a writer may reuse its buffer once write() returned.
    else if (chunk.length > 0) chunks.push(fresh ? chunk : Buffer.from(chunk));
  }

  finish(result: CaptureResult): void {
    if (this.done) return;
    this.done = true;
    this.chunks = undefined;
    this.options.onEnd(result);
  }

  end(finished: boolean): void {
    if (this.done) return;
    const chunks = this.chunks!;
    this.finish(
      finished
        ? { complete: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }
        : { complete: false, reason: 'aborted' },
    );
  }

  stop(): void {
    // `done` without onEnd: the middleware said it no longer cares.
    this.done = true;
    this.chunks = undefined;
  }
}

/** The wrapped `write`/`end` of one response, shared by every capture on it. */
class Tee {
  readonly sinks: Sink[] = [];
  /** Whether `beforeWrite` hooks have run. */
  decided = false;
  /** The body that replaces the writer's, when a `beforeWrite` hook returned one. */
  replacement: Buffer | undefined;
  /** Whether `write`/`end` were already wrapped (a middleware that may encode what it is given). */
  readonly wrapped: boolean;
  /** Whether the writer wrote body bytes (or ended) before the headers went out. */
  wroteFirst = false;
  /** The `Content-Encoding` the writer had set then: the encoding of the bytes the tee sees. */
  writerEncoding: string | undefined;

  constructor(
    readonly res: ServerResponse,
    readonly write: ServerResponse['write'],
    readonly end: ServerResponse['end'],
  ) {
    this.wrapped = write !== NATIVE_WRITE || end !== NATIVE_END;
    // 'finish' means every byte was handed to the socket; a 'close' without it is an abort.
    res.once('finish', () => this.close(true));
    res.once('close', () => this.close(false));
  }

  decide(): void {
    if (this.decided) return;
    this.decided = true;
    for (const sink of this.sinks) {
      const replacement = sink.done ? undefined : sink.options.beforeWrite?.(this.res);
      if (replacement !== undefined) {
        this.replacement = replacement;
        return;
      }
    }
  }

  /** Runs on the writer's first `write`/`end` while the headers are not sent yet. */
  firstWrite(): void {
    this.decide();
    if (this.wroteFirst) return;
    this.wroteFirst = true;
    const encoding = this.res.getHeader('content-encoding');
    this.writerEncoding = encoding === undefined ? undefined : String(encoding);
  }

  encodedOutside(): boolean | undefined {
    const encoding = this.res.getHeader('content-encoding');
    if (!this.wrapped || encoding === undefined) return false;
    if (!this.wroteFirst) return undefined;
    return String(encoding) !== this.writerEncoding;
  }

  collect(chunk: Chunk, encoding: BufferEncoding | undefined): void {
    if (typeof chunk === 'string') {
      const bytes = Buffer.from(chunk, encoding ?? 'utf8');
      for (const sink of this.sinks) sink.collect(bytes, true);
      return;
    }
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (const sink of this.sinks) sink.collect(bytes, false);
  }

  close(finished: boolean): void {
    for (const sink of this.sinks) sink.end(finished);
  }
}

/**
 * Starts capturing the body of `ex`'s response. Writes go to the client at once (a tee, not a
 * buffer); the copy is handed to `onEnd` when the response finishes. Call before the response
 * is written (i.e. before `next()`).
 */
export function captureBody(ex: Exchange, options: CaptureOptions): Capture {
  const res = ex.res as TeedResponse;
  let tee = res[kTee];
  if (tee === undefined) {
    tee = new Tee(res, res.write, res.end);
    res[kTee] = tee;
    res.write = teeWrite as ServerResponse['write'];
    res.end = teeEnd as ServerResponse['end'];
  }
  const sink = new Sink(options, tee);
  tee.sinks.push(sink);
  // An explicit `res.writeHead()` sends headers before any write: decide there too.
  if (options.beforeWrite !== undefined) ex.onHeaders(decideOnHeaders, tee);
  return sink;
}

function decideOnHeaders(_ex: Exchange, tee: Tee): void {
  tee.decide();
}

/** Splits Node's `(chunk, encoding?, callback?)` overloads. */
function splitArgs(
  encodingOrCallback: unknown,
  callback: unknown,
): [BufferEncoding | undefined, WriteCallback | undefined] {
  if (typeof encodingOrCallback === 'function')
    return [undefined, encodingOrCallback as WriteCallback];
  return [encodingOrCallback as BufferEncoding | undefined, callback as WriteCallback | undefined];
}

/** Shared replacement for `res.write`: one function for every response, no closure per request. */
function teeWrite(
  this: TeedResponse,
  chunk: Chunk,
  encodingOrCallback?: unknown,
  maybeCallback?: unknown,
): boolean {
  const tee = this[kTee]!;
  if (!this.headersSent) tee.firstWrite();
  if (tee.replacement !== undefined) {
    const [, callback] = splitArgs(encodingOrCallback, maybeCallback);
    if (callback !== undefined) process.nextTick(callback);
    return true;
  }
  const [encoding] = splitArgs(encodingOrCallback, maybeCallback);
  tee.collect(chunk, encoding);
  return (tee.write as (this: ServerResponse, ...args: unknown[]) => boolean).call(
    this,
    chunk,
    encodingOrCallback,
    maybeCallback,
  );
}

/** Shared replacement for `res.end`. */
function teeEnd(
  this: TeedResponse,
  chunkOrCallback?: unknown,
  encodingOrCallback?: unknown,
  maybeCallback?: unknown,
): ServerResponse {
  const tee = this[kTee]!;
  const end = tee.end as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  if (!this.headersSent) tee.firstWrite();
  if (tee.replacement !== undefined) {
    const callback = [chunkOrCallback, encodingOrCallback, maybeCallback].find(
      (arg) => typeof arg === 'function',
    );
    const body = tee.replacement;
    // Later write()/end() calls are discarded too; only this end() sends the body.
    tee.replacement = EMPTY;
    const args: unknown[] = body === EMPTY ? [] : [body];
    if (callback !== undefined) args.push(callback);
    return end.apply(this, args);
  }
  if (typeof chunkOrCallback !== 'function' && chunkOrCallback != null) {
    const [encoding] = splitArgs(encodingOrCallback, maybeCallback);
    tee.collect(chunkOrCallback as Chunk, encoding);
  }
  return end.call(this, chunkOrCallback, encodingOrCallback, maybeCallback);
}
