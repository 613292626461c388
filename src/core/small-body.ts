/**
 * Small bodies go to Node as strings. Node writes a first string chunk in one piece with the
 * status line and headers (`OutgoingMessage#_send` prepends the header to it), while a Buffer
 * body becomes a second chunk written with `writev`: ~11k instructions more per response on
 * Node 20 (`bench/probes/instructions.mjs`, a node:http server sending each way). Decoding a
 * Buffer into a string costs ~4 instructions per byte, so the string is cheaper up to ~3.5 KB;
 * above this bound the Buffer is sent as it is.
 */
export const SMALL_BODY_BYTES = 2048;

/** Whether `body` is small enough to be sent as a string (see {@link SMALL_BODY_BYTES}). */
export function isSmallBody(body: Buffer): boolean {
  return body.length <= SMALL_BODY_BYTES;
}
