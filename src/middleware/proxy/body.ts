/**
 * Which request body goes upstream. The bytes the client sent are preferred: the unread
 * stream, else a raw body a parser kept; only when nothing but the parsed body is left is it
 * re-serialised (which loses what parsing lost: JSON numbers beyond 2^53, key order of
 * duplicates, the original charset).
 */

import type { IncomingMessage } from 'node:http';
import type { Exchange } from '../../core/exchange.js';
import { hasBody, type RequestFraming } from './framing.js';

export type RequestBody =
  /** Pipe the client's stream as it arrives (never buffered). */
  | { readonly kind: 'stream' }
  /** No body. */
  | { readonly kind: 'empty' }
  /** A body the proxy holds: raw bytes a parser kept, or the parsed body re-serialised. */
  | { readonly kind: 'bytes'; readonly bytes: Buffer; readonly reserialised: boolean };

const EMPTY: RequestBody = { kind: 'empty' };
const STREAM: RequestBody = { kind: 'stream' };

/** Whether something (a body parser) already read the request stream. */
export function streamConsumed(req: IncomingMessage): boolean {
  return req.readableDidRead || req.readableEnded;
}

/** The body to forward, given the client's `framing` (RFC 9112 §6.3: only framing announces a body). */
export function requestBody(ex: Exchange, framing: RequestFraming): RequestBody {
  if (!hasBody(framing)) return EMPTY;
  if (!streamConsumed(ex.req)) return STREAM;
  const raw = ex.rawBody;
  if (raw !== undefined)
    return {
      kind: 'bytes',
      bytes: typeof raw === 'string' ? Buffer.from(raw) : raw,
      reserialised: false,
    };
  return reserialise(ex.parsedBody, ex.header('content-type') ?? '');
}

/** The media type without parameters, lower case. */
function mediaType(contentType: string): string {
  return contentType.split(';', 1)[0]!.trim().toLowerCase();
}

function reserialise(parsed: unknown, contentType: string): RequestBody {
  const bytes = (text: string): RequestBody => ({
    kind: 'bytes',
    bytes: Buffer.from(text, 'utf8'),
    reserialised: true,
  });
  if (Buffer.isBuffer(parsed)) return { kind: 'bytes', bytes: parsed, reserialised: true };
  if (typeof parsed === 'string') return bytes(parsed);
  const type = mediaType(contentType);
  if (type === 'application/json' || type.endsWith('+json')) return bytes(JSON.stringify(parsed));
  if (type === 'application/x-www-form-urlencoded' && typeof parsed === 'object' && parsed !== null)
    return bytes(encodeForm(parsed as Record<string, unknown>));
  if (parsed === undefined) {
    // The stream was read but nobody kept anything: the body is gone.
    throw new Error(
      'portcullis.proxy: the request body was read by another middleware and not kept; keep the raw body (see the proxy README) or mount the proxy before the body parser',
    );
  }
  throw new Error(
    `portcullis.proxy: cannot re-serialise a parsed "${type}" body; keep the raw body (see the proxy README)`,
  );
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
