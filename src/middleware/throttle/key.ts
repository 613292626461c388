/** Client addresses as bucket keys: IPv4-mapped IPv6 unwrapped, IPv6 grouped by prefix. */

import { isIPv4Mapped, readIPv6 } from '../../core/ip-address.js';

/**
 * The bucket key of a client address. IPv4 is kept as is; an IPv4-mapped IPv6 address
 * (`::ffff:1.2.3.4`, what a dual-stack socket reports) becomes the IPv4 address, so that one
 * client never has two buckets; any other IPv6 address is reduced to its first `ipv6Subnet` bits
 * (written `2001:db8:0:ab00:0:0:0:0/56`), since one subscriber is usually given a whole /56 or /64
 * and could otherwise take a fresh bucket per address. `ipv6Subnet: false` keeps the full address
 * (still written one canonical way). What is not an IP address is returned unchanged.
 *
 * @see https://datatracker.ietf.org/doc/html/rfc4291#section-2.5.5.2 (IPv4-mapped addresses)
 * @see https://datatracker.ietf.org/doc/html/rfc6177 (/56 assignments to end sites)
 */
export function clientAddressKey(address: string, ipv6Subnet: number | false): string {
  if (!address.includes(':')) return address;
  const hextets = scratchGroups;
  if (!readIPv6(address, hextets)) return address;
  if (isIPv4Mapped(hextets)) {
    const high = hextets[6]!;
    const low = hextets[7]!;
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  const bits = ipv6Subnet === false ? 128 : ipv6Subnet;
  let written = '';
  for (let i = 0; i < 8; i++) {
    const keep = Math.min(16, Math.max(0, bits - i * 16));
    const group = keep === 0 ? 0 : hextets[i]! & ((0xffff << (16 - keep)) & 0xffff);
    written += i === 0 ? group.toString(16) : `:${group.toString(16)}`;
  }
  return ipv6Subnet === false ? written : `${written}/${bits}`;
}

/** The groups of the address being keyed, reused by every call (keys are derived synchronously). */
const scratchGroups = new Uint16Array(8);

/** Eight 16-bit groups of an IPv6 address (RFC 4291 §2.2 text forms, zone id ignored), or undefined. */
export function parseIPv6(text: string): number[] | undefined {
  const groups = new Uint16Array(8);
  return readIPv6(text, groups) ? [...groups] : undefined;
}
