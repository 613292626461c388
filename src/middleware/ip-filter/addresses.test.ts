import { describe, expect, it } from 'vitest';
import { parseClientAddress, parseIPv4, parseRange, readIPv6 } from './addresses.js';
import { ALLOW, DENY, PrefixTrie } from './prefix-trie.js';

const words = (text: string) => {
  const parsed = parseClientAddress(text);
  return parsed === undefined ? undefined : { v6: parsed.v6, words: [...parsed.words] };
};

describe('parseIPv4()', () => {
  it('reads dotted quads and refuses everything else', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('10.1.2.3')).toBe(0x0a010203);
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '01.2.3.4',
      '1..2.3',
      '1.2.3.',
      ' 1.2.3.4',
      '1.2.3.4x',
      '0x1.2.3.4',
    ])
      expect(parseIPv4(bad), bad).toBe(-1);
  });
});

describe('readIPv6()', () => {
  const read = (text: string) => {
    const out = new Uint16Array(8);
    return readIPv6(text, out) ? [...out] : undefined;
  };

  // The groups of each form, valid or not, as the allocating parser throttle used before both
  // shared this reader answered them (the two were checked equal on this list).
  it('reads every text form as RFC 4291 writes it, and refuses the rest', () => {
    const forms = [
      '::',
      '::1',
      '1::',
      '1::2',
      '2001:db8::1',
      '2001:DB8:0:0:8:800:200C:417A',
      'ff01::101',
      '0:0:0:0:0:0:0:1',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6::8',
      '1::3:4:5:6:7:8',
      '::2:3:4:5:6:7:8',
      '::ffff:192.0.2.1',
      '::192.0.2.1',
      '64:ff9b::192.0.2.33',
      '1:2:3:4:5:6:1.2.3.4',
      'fe80::1%eth0',
      'fe80::1%',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '1::2::3',
      ':1',
      '1:',
      ':::',
      '1:::2',
      '12345::',
      'g::1',
      '1:2:3:4:5:6:7:1.2.3.4',
      '::1.2.3',
      '::1.2.3.256',
      '1.2.3.4',
      '',
      ':',
      '::ffff:1.2.3.4:5',
      '[::1]',
      ' ::1',
      '::1 ',
      '1::2:3:4:5:6:7:8',
    ];
    expect(
      forms.map((form) => [
        form,
        read(form)
          ?.map((g) => g.toString(16))
          .join(':'),
      ]),
    ).toMatchInlineSnapshot(`
      [
        [
          "::",
          "0:0:0:0:0:0:0:0",
        ],
        [
          "::1",
          "0:0:0:0:0:0:0:1",
        ],
        [
          "1::",
          "1:0:0:0:0:0:0:0",
        ],
        [
          "1::2",
          "1:0:0:0:0:0:0:2",
        ],
        [
          "2001:db8::1",
          "2001:db8:0:0:0:0:0:1",
        ],
        [
          "2001:DB8:0:0:8:800:200C:417A",
          "2001:db8:0:0:8:800:200c:417a",
        ],
        [
          "ff01::101",
          "ff01:0:0:0:0:0:0:101",
        ],
        [
          "0:0:0:0:0:0:0:1",
          "0:0:0:0:0:0:0:1",
        ],
        [
          "1:2:3:4:5:6:7:8",
          "1:2:3:4:5:6:7:8",
        ],
        [
          "1:2:3:4:5:6::8",
          "1:2:3:4:5:6:0:8",
        ],
        [
          "1::3:4:5:6:7:8",
          "1:0:3:4:5:6:7:8",
        ],
        [
          "::2:3:4:5:6:7:8",
          "0:2:3:4:5:6:7:8",
        ],
        [
          "::ffff:192.0.2.1",
          "0:0:0:0:0:ffff:c000:201",
        ],
        [
          "::192.0.2.1",
          "0:0:0:0:0:0:c000:201",
        ],
        [
          "64:ff9b::192.0.2.33",
          "64:ff9b:0:0:0:0:c000:221",
        ],
        [
          "1:2:3:4:5:6:1.2.3.4",
          "1:2:3:4:5:6:102:304",
        ],
        [
          "fe80::1%eth0",
          "fe80:0:0:0:0:0:0:1",
        ],
        [
          "fe80::1%",
          "fe80:0:0:0:0:0:0:1",
        ],
        [
          "1:2:3:4:5:6:7:8:9",
          undefined,
        ],
        [
          "1:2:3:4:5:6:7",
          undefined,
        ],
        [
          "1::2::3",
          undefined,
        ],
        [
          ":1",
          undefined,
        ],
        [
          "1:",
          undefined,
        ],
        [
          ":::",
          undefined,
        ],
        [
          "1:::2",
          undefined,
        ],
        [
          "12345::",
          undefined,
        ],
        [
          "g::1",
          undefined,
        ],
        [
          "1:2:3:4:5:6:7:1.2.3.4",
          undefined,
        ],
        [
          "::1.2.3",
          undefined,
        ],
        [
          "::1.2.3.256",
          undefined,
        ],
        [
          "1.2.3.4",
          undefined,
        ],
        [
          "",
          undefined,
        ],
        [
          ":",
          undefined,
        ],
        [
          "::ffff:1.2.3.4:5",
          undefined,
        ],
        [
          "[::1]",
          undefined,
        ],
        [
          " ::1",
          undefined,
        ],
        [
          "::1 ",
          undefined,
        ],
        [
          "1::2:3:4:5:6:7:8",
          undefined,
        ],
      ]
    `);
  });
});

describe('parseClientAddress()', () => {
  it('matches IPv4-mapped IPv6 addresses as IPv4, in any spelling', () => {
    const v4 = { v6: false, words: [0x7f000001] };
    expect(words('127.0.0.1')).toEqual(v4);
    expect(words('::ffff:127.0.0.1')).toEqual(v4);
    expect(words('::FFFF:127.0.0.1')).toEqual(v4);
    expect(words('0:0:0:0:0:ffff:7f00:1')).toEqual(v4);
  });

  it('reads IPv6 addresses, ignoring a zone id', () => {
    expect(words('2001:db8::1')).toEqual({ v6: true, words: [0x20010db8, 0, 0, 1] });
    expect(words('fe80::1%eth0')).toEqual({ v6: true, words: [0xfe800000, 0, 0, 1] });
  });

  it('answers undefined for what is not an address (never throws)', () => {
    for (const bad of [
      '',
      'unknown',
      'not:an:address',
      '1.2.3.4, 5.6.7.8',
      '[::1]',
      '::1::2',
      '1.2.3.4:80',
      '\u0000',
    ])
      expect(words(bad), bad).toBeUndefined();
  });
});

describe('parseRange()', () => {
  it('reads addresses and CIDR ranges of both families', () => {
    expect(parseRange('10.0.0.0/8')).toMatchObject({ v6: false, prefix: 8 });
    expect(parseRange('192.0.2.7')).toMatchObject({ v6: false, prefix: 32 });
    expect(parseRange('2001:db8::/32')).toMatchObject({ v6: true, prefix: 32 });
    expect(parseRange('::1')).toMatchObject({ v6: true, prefix: 128 });
    expect(parseRange('0.0.0.0/0')).toMatchObject({ v6: false, prefix: 0 });
  });

  it('turns IPv4-mapped ranges into IPv4 ranges', () => {
    expect(parseRange('::ffff:10.0.0.0/104')).toMatchObject({ v6: false, prefix: 8 });
    expect(parseRange('::ffff:10.0.0.1')).toMatchObject({ v6: false, prefix: 32 });
  });

  it('refuses host bits, bad lengths, zone ids, brackets and garbage', () => {
    for (const bad of [
      '10.0.0.1/8',
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/08',
      '10.0.0.0/-1',
      '2001:db8::/129',
      '2001:db8::1/32',
      'fe80::1%eth0',
      '[::1]',
      'localhost',
      '',
      '10.0.0.0/8/8',
      '::ffff:10.0.0.0/999',
    ])
      expect(() => parseRange(bad), bad).toThrow();
  });
});

describe('PrefixTrie', () => {
  const trie = new PrefixTrie();
  trie.insert(parseRange('10.0.0.0/8'), ALLOW);
  trie.insert(parseRange('10.9.0.0/16'), DENY);
  trie.insert(parseRange('2001:db8::/32'), ALLOW);
  trie.insert(parseRange('2001:db8::bad'), DENY);
  trie.seal();
  const marks = (ip: string) => trie.lookup(parseClientAddress(ip)!);

  it('collects the marks of every range containing the address', () => {
    expect(marks('10.1.2.3')).toBe(ALLOW);
    expect(marks('10.9.1.1') & DENY).toBe(DENY);
    expect(marks('11.0.0.1')).toBe(0);
    expect(marks('2001:db8::1')).toBe(ALLOW);
    expect(marks('2001:db8::bad') & DENY).toBe(DENY);
    expect(marks('2001:db9::1')).toBe(0);
  });

  it('keeps the families apart: an IPv4 range never matches an IPv6 address', () => {
    // 10.0.0.0/8 and 0a00::/8 share their first bits.
    expect(marks('a00::1')).toBe(0);
  });
});
