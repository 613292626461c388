/**
 * The request body as bytes, read once per request and shared by every piece that needs it
 * (request validation, a Lambda integration, a proxy after them). The bytes the client sent are
 * preferred: the unread stream, else a raw body a parser kept; only when nothing but the parsed
 * body is left is it re-serialised (which loses what parsing lost: JSON numbers beyond 2^53, key
 * order of duplicates, the original charset).
 */

import type { IncomingMessage } from 'node:http';
import type { Exchange } from './exchange.js';

/** Where the bytes read by `readRequestBody` are kept on the request, for the proxy to forward. */
const kRequestBody = Symbol.for('portcullis.requestBody');

interface BufferedBody {
  promise: Promise<Buffer>;
  bytes?: Buffer;
}

type RequestWithBody = IncomingMessage & { [kRequestBody]?: BufferedBody };

/** API Gateway's payload limit: 10 MB. */
export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;

/** Thrown (as the promise's rejection) when the body exceeds the limit: answer 413. */
export class RequestBodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'RequestBodyTooLargeError';
    this.limit = limit;
  }
}

/** Thrown when a body parser read the stream and kept nothing the gateway can turn back into bytes. */
export class RequestBodyGoneError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RequestBodyGoneError';
  }
}

/** Whether something (a body parser) already read the request stream. */
export function streamConsumed(req: IncomingMessage): boolean {
  return req.readableDidRead || req.readableEnded;
}

/**
 * The bytes `readRequestBody` read for this request, once they are all in; undefined before or
 * when nobody asked. The proxy forwards these instead of the (now consumed) stream.
 */
export function bufferedRequestBody(req: IncomingMessage): Buffer | undefined {
  return (req as RequestWithBody)[kRequestBody]?.bytes;
}

/**
 * The whole request body, at most `limit` bytes (rejects with `RequestBodyTooLargeError`
 * beyond, without buffering more). Every call for one request shares one read. An empty body
 * is an empty buffer.
 */
export function readRequestBody(ex: Exchange, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const req = ex.req as RequestWithBody;
  const known = req[kRequestBody];
  if (known !== undefined) return known.promise;
  const state: BufferedBody = { promise: undefined as unknown as Promise<Buffer> };
  state.promise = (streamConsumed(req) ? keptBytes(ex) : readStream(req, limit)).then((bytes) => {
    if (bytes.length > limit) throw new RequestBodyTooLargeError(limit);
    state.bytes = bytes;
    return bytes;
  });
  req[kRequestBody] = state;
  return state.promise;
}

/** `bytesKeptBy` as a promise: a body that is gone rejects rather than throws. */
async function keptBytes(ex: Exchange): Promise<Buffer> {
  return bytesKeptBy(ex);
}

function readStream(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new RequestBodyTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Stop reading; the rest is drained or the connection closed by whoever answers 413.
        req.pause();
        reject(new RequestBodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      if (req.readableEnded) return;
      cleanup();
      reject(new Error('request aborted before its body was complete'));
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** The bytes of a body a parser already read: its raw copy, else the parsed value re-serialised. */
function bytesKeptBy(ex: Exchange): Buffer {
  const raw = ex.rawBody;
  if (raw !== undefined) return typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  return reserialiseParsedBody(ex.parsedBody, ex.header('content-type') ?? '', 'the gateway');
}

/** The media type without parameters, lower case. */
export function mediaTypeOf(contentType: string): string {
  return contentType.split(';', 1)[0]!.trim().toLowerCase();
}

/**
 * A parsed body turned back into bytes: buffers and strings as they are, JSON and form bodies
 * serialised again. `who` names the piece in the error when that cannot be done.
 */
export function reserialiseParsedBody(parsed: unknown, contentType: string, who: string): Buffer {
  if (Buffer.isBuffer(parsed)) return parsed;
  if (typeof parsed === 'string') return Buffer.from(parsed, 'utf8');
  const type = mediaTypeOf(contentType);
  if (type === 'application/json' || type.endsWith('+json'))
    return Buffer.from(JSON.stringify(parsed), 'utf8');
  if (type === 'application/x-www-form-urlencoded' && typeof parsed === 'object' && parsed !== null)
    return Buffer.from(encodeForm(parsed as Record<string, unknown>), 'utf8');
  if (parsed === undefined || (typeof parsed === 'object' && parsed !== null && isEmpty(parsed))) {
    // The stream was read but nobody kept anything: the body is gone.
    throw new RequestBodyGoneError(
      `portcullis: the request body was read by another middleware and not kept, so ${who} cannot use it; keep the raw body (see the proxy README) or mount portcullis before the body parser`,
    );
  }
  throw new RequestBodyGoneError(
    `portcullis: cannot re-serialise a parsed "${type}" body for ${who}; keep the raw body (see the proxy README)`,
  );
}

function isEmpty(value: object): boolean {
  for (const _ in value) return false;
  return true;
}

/**
 * `application/x-www-form-urlencoded` for what `express.urlencoded()` / co-body produce: flat
 * keys with strings or arrays (repeated keys), nested objects in qs's bracket notation.
 */
export function encodeForm(value: Record<string, unknown>): string {
  const params = new URLSearchParams();
  const add = (key: string, item: unknown): void => {
    if (item === undefined || item === null) return;
    if (Array.isArray(item)) {
      const flat = item.every((v) => typeof v !== 'object' || v === null);
      item.forEach((v, i) => {
        add(flat ? key : `${key}[${i}]`, v);
      });
    } else if (typeof item === 'object') {
      for (const [k, v] of Object.entries(item)) add(`${key}[${k}]`, v);
    } else params.append(key, String(item));
  };
  for (const [key, item] of Object.entries(value)) add(key, item);
  return params.toString();
}
