import { describe, expect, it } from 'vitest';
import { clientAddressKey, parseIPv6 } from './key.js';

describe('clientAddressKey()', () => {
  it('keeps IPv4 addresses as they are', () => {
    expect(clientAddressKey('203.0.113.7', 56)).toBe('203.0.113.7');
  });

  it('unwraps IPv4-mapped IPv6 addresses, whatever their spelling', () => {
    expect(clientAddressKey('::ffff:203.0.113.7', 56)).toBe('203.0.113.7');
    expect(clientAddressKey('::FFFF:203.0.113.7', false)).toBe('203.0.113.7');
    expect(clientAddressKey('0:0:0:0:0:ffff:cb00:7107', 56)).toBe('203.0.113.7');
  });

  it('groups IPv6 addresses by /56 by default, so one subscriber gets one bucket', () => {
    const a = clientAddressKey('2001:db8:0:ab12:1::1', 56);
    const b = clientAddressKey('2001:db8:0:abff:ffff:ffff:ffff:ffff', 56);
    expect(a).toBe('2001:db8:0:ab00:0:0:0:0/56');
    expect(b).toBe(a);
    expect(clientAddressKey('2001:db8:0:ac00::1', 56)).not.toBe(a);
  });

  it('honours other prefix lengths, including ones that cut a group', () => {
    expect(clientAddressKey('2001:db8:aaaa:bbbb::1', 64)).toBe('2001:db8:aaaa:bbbb:0:0:0:0/64');
    expect(clientAddressKey('2001:db8:aaaa:bbbb::1', 36)).toBe('2001:db8:a000:0:0:0:0:0/36');
    expect(clientAddressKey('2001:db8::1', 128)).toBe('2001:db8:0:0:0:0:0:1/128');
  });

  it('writes the full address one canonical way with ipv6Subnet: false', () => {
    expect(clientAddressKey('2001:DB8::0001', false)).toBe('2001:db8:0:0:0:0:0:1');
    expect(clientAddressKey('2001:db8:0:0:0:0:0:1', false)).toBe('2001:db8:0:0:0:0:0:1');
  });

  it('ignores a zone id and leaves what is not an address unchanged', () => {
    expect(clientAddressKey('fe80::1%eth0', false)).toBe('fe80:0:0:0:0:0:0:1');
    expect(clientAddressKey('not:an:address', 56)).toBe('not:an:address');
    expect(clientAddressKey('', 56)).toBe('');
  });
});

describe('parseIPv6()', () => {
  it('parses compressed, full and IPv4-suffixed forms', () => {
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('64:ff9b::192.0.2.33')).toEqual([0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x221]);
  });

  it('refuses malformed addresses', () => {
    for (const bad of [
      '1::2::3',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '::1.2.3.256',
      'g::1',
      '1:2:3:4:5:6:7:8::',
    ])
      expect(parseIPv6(bad)).toBeUndefined();
  });
});
