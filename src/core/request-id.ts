/**
 * Request ids: random (version 4) UUIDs, made without `crypto.randomUUID()`'s string building.
 *
 * Node's `randomUUID()` concatenates 20 pieces into a rope that the first header validation then
 * flattens: ~250 ns and ~590 bytes of garbage per request (bench/probes/allocations.mjs). This
 * writes the 36 characters into one reused buffer and decodes it once: ~110 ns and one string.
 * The random bytes come from the same CSPRNG (`randomFillSync`), 256 ids per refill, each id
 * using its own 16 bytes.
 */

import { randomFillSync } from 'node:crypto';

const IDS_PER_FILL = 256;
const pool = Buffer.allocUnsafe(16 * IDS_PER_FILL);
let offset = pool.length;

/** The two ASCII hex digits of every byte value, as character codes. */
const HEX_DIGITS = new Uint8Array(512);
for (let byte = 0; byte < 256; byte++) {
  const hex = byte.toString(16).padStart(2, '0');
  HEX_DIGITS[2 * byte] = hex.charCodeAt(0);
  HEX_DIGITS[2 * byte + 1] = hex.charCodeAt(1);
}

/** Where each of the 16 bytes goes in `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`. */
const POSITIONS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const text = Buffer.alloc(36, '-');

/** The offset of 16 fresh random bytes in `pool`, refilling it when used up. */
function takeRandomBytes(): number {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const start = offset;
  offset += 16;
  return start;
}

/** A new random UUID (RFC 9562 version 4), in lower case. */
export function randomRequestId(): string {
  const start = takeRandomBytes();
  for (let i = 0; i < 16; i++) {
    let byte = pool[start + i] as number;
    if (i === 6)
      byte = (byte & 0x0f) | 0x40; // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // variant 10xx
    const at = POSITIONS[i] as number;
    text[at] = HEX_DIGITS[2 * byte] as number;
    text[at + 1] = HEX_DIGITS[2 * byte + 1] as number;
  }
  return text.toString('latin1', 0, 36);
}

const hexText = Buffer.alloc(32);

/**
 * `bytes` (1–16) random bytes as lower-case hex, never all zeros: W3C Trace Context trace ids
 * (16 bytes) and span ids (8), which are invalid when all zeros.
 */
export function randomHex(bytes: number): string {
  for (;;) {
    const start = takeRandomBytes();
    let any = 0;
    for (let i = 0; i < bytes; i++) {
      const byte = pool[start + i] as number;
      any |= byte;
      hexText[2 * i] = HEX_DIGITS[2 * byte] as number;
      hexText[2 * i + 1] = HEX_DIGITS[2 * byte + 1] as number;
    }
    if (any !== 0) return hexText.toString('latin1', 0, 2 * bytes);
  }
}
