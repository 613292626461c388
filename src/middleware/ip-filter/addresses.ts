/** IP addresses and CIDR ranges as bit strings: what `ipFilter` compares, parsed once per request. */

import { isIPv4Mapped, parseIPv4, readIPv6 } from '../../core/ip-address.js';

export { parseIPv4, readIPv6 };

/** An address reduced to its family and bits: IPv4 in `words[0]`, IPv6 in `words[0..3]` (big-endian). */
export interface ParsedAddress {
  readonly v6: boolean;
  readonly words: Uint32Array;
}

/** A configured range: the network's bits and how many of them count. */
export interface ParsedRange extends ParsedAddress {
  readonly prefix: number;
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
