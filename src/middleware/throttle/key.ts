/** Client addresses as bucket keys: IPv4-mapped IPv6 unwrapped, IPv6 grouped by prefix. */

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
  const hextets = parseIPv6(address);
  if (hextets === undefined) return address;
  if (isIPv4Mapped(hextets)) {
    const high = hextets[6]!;
    const low = hextets[7]!;
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  const bits = ipv6Subnet === false ? 128 : ipv6Subnet;
  for (let i = 0; i < 8; i++) {
    const keep = Math.min(16, Math.max(0, bits - i * 16));
    hextets[i] = keep === 0 ? 0 : hextets[i]! & ((0xffff << (16 - keep)) & 0xffff);
  }
  const written = hextets.map((h) => h.toString(16)).join(':');
  return ipv6Subnet === false ? written : `${written}/${bits}`;
}

function isIPv4Mapped(h: readonly number[]): boolean {
  return h[0] === 0 && h[1] === 0 && h[2] === 0 && h[3] === 0 && h[4] === 0 && h[5] === 0xffff;
}

const HEXTET = /^[0-9a-f]{1,4}$/i;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Eight 16-bit groups of an IPv6 address (RFC 4291 §2.2 text forms, zone id ignored), or undefined. */
export function parseIPv6(text: string): number[] | undefined {
  const zone = text.indexOf('%');
  const address = zone === -1 ? text : text.slice(0, zone);
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** Colon-separated groups; the last may be dotted IPv4 (two groups). */
function parseGroups(part: string): number[] | undefined {
  if (part === '') return [];
  const groups = part.split(':');
  const out: number[] = [];
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!;
    if (HEXTET.test(group)) out.push(Number.parseInt(group, 16));
    else {
      const v4 = i === groups.length - 1 ? IPV4.exec(group) : null;
      if (v4 === null) return undefined;
      const octets = v4.slice(1).map(Number);
      if (octets.some((o) => o > 255)) return undefined;
      out.push((octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!);
    }
  }
  return out;
}
