/** The idle timeout of a streamed upstream response body (`idleTimeout`). */

import type { IncomingMessage } from 'node:http';

/**
 * Calls `onIdle` once when the upstream's socket delivers nothing for `ms` while the body is
 * still incomplete and being read. Every socket read refreshes one timer (no per-chunk
 * allocation); when it expires while the body is paused by backpressure or holds unread bytes,
 * the client is the slow side, not the upstream, and the wait starts again. Stops at the body's
 * end or close, before the agent hands the socket to another request.
 */
export function watchIdleBody(upstream: IncomingMessage, ms: number, onIdle: () => void): void {
  const socket = upstream.socket;
  if (upstream.complete || socket === null) return;
  const activity = (): void => {
    timer.refresh();
  };
  const stop = (): void => {
    clearTimeout(timer);
    socket.off('data', activity);
  };
  const expire = (): void => {
    if (upstream.readableFlowing === false || upstream.readableLength > 0) {
      timer.refresh();
      return;
    }
    stop();
    onIdle();
  };
  const timer = setTimeout(expire, ms);
  socket.on('data', activity);
  upstream.once('end', stop);
  upstream.once('close', stop);
}
