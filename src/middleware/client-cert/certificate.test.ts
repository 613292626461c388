import { describe, expect, it } from 'vitest';
import { colonHex, distinguishedName, sanValues } from './certificate.js';

describe('distinguishedName()', () => {
  it('writes Node’s one-RDN-per-line name in certificate order, as API Gateway, keeping its escapes', () => {
    expect(distinguishedName('C=NO\nO=Example\\, Inc.\nCN=client\\+x.example.com')).toBe(
      'C=NO,O=Example\\, Inc.,CN=client\\+x.example.com',
    );
  });

  it('joins a multi-valued RDN with +', () => {
    expect(distinguishedName('O=Example\nCN=a + UID=7')).toBe('O=Example,CN=a+UID=7');
  });
});

describe('colonHex()', () => {
  it('writes a serial number as API Gateway does', () => {
    expect(colonHex('0A1B2C')).toBe('0a:1b:2c');
    expect(colonHex('A1B2C')).toBe('0a:1b:2c');
    expect(colonHex('01')).toBe('01');
  });
});

describe('sanValues()', () => {
  it('reads every value without its type', () => {
    expect(
      sanValues({
        subjectAltName:
          'DNS:client.example.com, URI:spiffe://example.com/a, email:ops@example.com, IP Address:127.0.0.1',
      }),
    ).toEqual(['client.example.com', 'spiffe://example.com/a', 'ops@example.com', '127.0.0.1']);
  });

  it('reads quoted values whole, so that a comma cannot forge a second name', () => {
    expect(
      sanValues({ subjectAltName: 'DNS:"evil.example\\u002c DNS:good.example", DNS:b.example' }),
    ).toEqual(['evil.example, DNS:good.example', 'b.example']);
  });

  it('keeps an embedded NUL and a type prefix inside a quoted value as part of that one value', () => {
    expect(
      sanValues({
        subjectAltName:
          'DNS:"good.example\\u0000.evil.example", URI:"x:\\u002c DNS:good.example", DNS:c.example',
      }),
    ).toEqual(['good.example\u0000.evil.example', 'x:, DNS:good.example', 'c.example']);
  });

  it('answers [] without a SAN and stops at an unterminated quote', () => {
    expect(sanValues({ subjectAltName: undefined })).toEqual([]);
    expect(sanValues({ subjectAltName: 'DNS:a.example, DNS:"broken' })).toEqual(['a.example']);
  });
});
