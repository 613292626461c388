/**
 * Which request body goes upstream. The bytes the client sent are preferred: the unread
 * stream, else a raw body a parser kept; only when nothing but the parsed body is left is it
 * re-serialised (which loses what parsing lost: JSON numbers beyond 2^53, key order of
 * duplicates, the original charset).
 */

import type { Exchange } from '../../core/exchange.js';
import {
  bufferedRequestBody,
  reserialiseParsedBody,
  streamConsumed,
} from '../../core/request-body.js';
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

/** The body to forward, given the client's `framing` (RFC 9112 §6.3: only framing announces a body). */
export function requestBody(ex: Exchange, framing: RequestFraming): RequestBody {
  if (!hasBody(framing)) return EMPTY;
  if (!streamConsumed(ex.req)) return STREAM;
  // Read by a piece before the proxy (request validation, mappings): forward those bytes.
  const buffered = bufferedRequestBody(ex.req);
  if (buffered !== undefined) return { kind: 'bytes', bytes: buffered, reserialised: false };
  const raw = ex.rawBody;
  if (raw !== undefined)
    return {
      kind: 'bytes',
      bytes: typeof raw === 'string' ? Buffer.from(raw) : raw,
      reserialised: false,
    };
  return {
    kind: 'bytes',
    bytes: reserialiseParsedBody(ex.parsedBody, ex.header('content-type') ?? '', 'the proxy'),
    reserialised: true,
  };
}

export { encodeForm, streamConsumed } from '../../core/request-body.js';
