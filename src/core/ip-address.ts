/**
 * IP address text read in place (char codes, no allocation): what `ipFilter` and `throttle` read
 * from a client address on every request.
 */

const DOT = 46;
const COLON = 58;
const ZERO = 48;
const NINE = 57;

/**
 * A dotted-quad IPv4 address as an unsigned 32-bit number, or -1. Strict: four decimal octets
 * 0–255 without leading zeros (`010.0.0.1` is octal to some parsers and decimal to others, so
 * it is refused rather than guessed). Reads char codes: no allocation on the request path.
 */
export function parseIPv4(text: string, start = 0, end = text.length): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= ZERO && c <= NINE) {
      if (digits === 1 && octet === 0) return -1; // leading zero
      octet = octet * 10 + (c - ZERO);
      if (octet > 255) return -1;
      digits++;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

/** Value of a hex digit's char code, or -1. */
function hexValue(c: number): number {
  if (c >= ZERO && c <= NINE) return c - ZERO;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * Reads an IPv6 address in any RFC 4291 §2.2 text form (`::` once, a dotted IPv4 tail) into
 * eight 16-bit groups; a zone id (`%eth0`) is ignored. Answers whether `text` was one. Reads
 * char codes into `out`: no allocation, as a client address is read on every request.
 */
export function readIPv6(text: string, out: Uint16Array): boolean {
  const zone = text.indexOf('%');
  const end = zone === -1 ? text.length : zone;
  let count = 0;
  let gap = -1; // index in `out` where `::` stands
  let i = 0;
  if (end >= 2 && text.charCodeAt(0) === COLON) {
    if (text.charCodeAt(1) !== COLON) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    let value = 0;
    let j = i;
    for (
      let h = hexValue(text.charCodeAt(j));
      j < end && h !== -1;
      h = hexValue(text.charCodeAt(j))
    ) {
      if (j - i === 4) return false;
      value = value * 16 + h;
      j++;
    }
    if (j < end && text.charCodeAt(j) === DOT) {
      // A dotted IPv4 tail is two groups, and the last thing in the address.
      const v4 = count <= 6 ? parseIPv4(text, i, end) : -1;
      if (v4 === -1) return false;
      out[count++] = v4 >>> 16;
      out[count++] = v4 & 0xffff;
      break;
    }
    if (j === i || count === 8) return false;
    out[count++] = value;
    if (j === end) break;
    if (text.charCodeAt(j) !== COLON || j + 1 === end) return false;
    j++;
    if (text.charCodeAt(j) === COLON) {
      if (gap !== -1) return false;
      gap = count;
      j++;
    }
    i = j;
  }
  if (gap === -1) return count === 8;
  if (count === 8) return false; // `::` stands for at least one group
  const tail = count - gap;
  for (let k = 1; k <= tail; k++) out[8 - k] = out[count - k]!;
  out.fill(0, gap, 8 - tail);
  return true;
}

/** Whether eight IPv6 groups are an IPv4-mapped address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2). */
export function isIPv4Mapped(h: ArrayLike<number>): boolean {
  return h[0] === 0 && h[1] === 0 && h[2] === 0 && h[3] === 0 && h[4] === 0 && h[5] === 0xffff;
}
