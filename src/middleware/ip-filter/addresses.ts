/** IP addresses and CIDR ranges as bit strings: what `ipFilter` compares, parsed once per request. */

/** An address reduced to its family and bits: IPv4 in `words[0]`, IPv6 in `words[0..3]` (big-endian). */
export interface ParsedAddress {
  readonly v6: boolean;
  readonly words: Uint32Array;
}

/** A configured range: the network's bits and how many of them count. */
export interface ParsedRange extends ParsedAddress {
  readonly prefix: number;
}

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

/** Words of the current client address, reused by every call (the request path is synchronous). */
const scratchGroups = new Uint16Array(8);
const scratchV4 = new Uint32Array(1);
const scratchV6 = new Uint32Array(4);
const SCRATCH_V4: ParsedAddress = { v6: false, words: scratchV4 };
const SCRATCH_V6: ParsedAddress = { v6: true, words: scratchV6 };

/**
 * A client address as the filter compares it, or undefined when it is not an IP address (an
 * untrusted `X-Forwarded-For` value, an empty address). An IPv4-mapped IPv6 address
 * (`::ffff:1.2.3.4`, what a dual-stack socket reports) is the IPv4 address; an IPv6 zone id
 * (`fe80::1%eth0`) is ignored. The result is shared scratch space, valid until the next call.
 */
export function parseClientAddress(text: string): ParsedAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== -1) {
    scratchV4[0] = v4;
    return SCRATCH_V4;
  }
  if (!readIPv6(text, scratchGroups)) return undefined;
  if (isIPv4Mapped(scratchGroups)) {
    scratchV4[0] = scratchGroups[6]! * 0x10000 + scratchGroups[7]!;
    return SCRATCH_V4;
  }
  for (let i = 0; i < 4; i++)
    scratchV6[i] = scratchGroups[2 * i]! * 0x10000 + scratchGroups[2 * i + 1]!;
  return SCRATCH_V6;
}

function isIPv4Mapped(h: Uint16Array): boolean {
  return h[0] === 0 && h[1] === 0 && h[2] === 0 && h[3] === 0 && h[4] === 0 && h[5] === 0xffff;
}

/** Why a configured entry was refused, for the start-up error. */
export class RangeSyntaxError extends Error {}

const PREFIX_LENGTH = /^(?:0|[1-9]\d{0,2})$/;

/**
 * A configured entry: an address (`10.0.0.1`, `2001:db8::1`) or a CIDR range (`10.0.0.0/8`,
 * `2001:db8::/32`). An IPv4-mapped range (`::ffff:10.0.0.0/104`) becomes the IPv4 range, as
 * client addresses do. Throws `RangeSyntaxError` for anything else: a zone id or brackets
 * (written for a host, not a range), a prefix length out of range, or host bits set
 * (`10.0.0.1/8` may mean `10.0.0.0/8` or the address `10.0.0.1/32`: refused, not guessed).
 */
export function parseRange(entry: string): ParsedRange {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const lengthText = slash === -1 ? undefined : entry.slice(slash + 1);
  if (lengthText !== undefined && !PREFIX_LENGTH.test(lengthText))
    throw new RangeSyntaxError('the prefix length must be a whole number');
  const v4 = parseIPv4(address);
  if (v4 !== -1) return checkedRange(false, Uint32Array.of(v4), lengthText, 32);
  if (!address.includes(':') || address.includes('%') || address.includes('['))
    throw new RangeSyntaxError('not an IPv4 or IPv6 address (no zone ids, no brackets)');
  const hextets = new Uint16Array(8);
  if (!readIPv6(address, hextets)) throw new RangeSyntaxError('not an IPv4 or IPv6 address');
  const prefix = lengthText === undefined ? 128 : Number(lengthText);
  if (prefix > 128) throw new RangeSyntaxError('the prefix length must be 0 to 128');
  if (isIPv4Mapped(hextets) && prefix >= 96) {
    const mapped = hextets[6]! * 0x10000 + hextets[7]!;
    return checkedRange(false, Uint32Array.of(mapped), String(prefix - 96), 32);
  }
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = hextets[2 * i]! * 0x10000 + hextets[2 * i + 1]!;
  return checkedRange(true, words, lengthText, 128);
}

function checkedRange(
  v6: boolean,
  words: Uint32Array,
  lengthText: string | undefined,
  bits: number,
): ParsedRange {
  const prefix = lengthText === undefined ? bits : Number(lengthText);
  if (prefix > bits) throw new RangeSyntaxError(`the prefix length must be 0 to ${bits}`);
  for (let i = prefix; i < bits; i++) {
    if (bitAt(words, i) === 1)
      throw new RangeSyntaxError(
        `host bits are set after the first ${prefix}; write the network address`,
      );
  }
  return { v6, words, prefix };
}

/** Bit `i` of an address, counting from the most significant. */
export function bitAt(words: Uint32Array, i: number): number {
  return (words[i >>> 5]! >>> (31 - (i & 31))) & 1;
}
