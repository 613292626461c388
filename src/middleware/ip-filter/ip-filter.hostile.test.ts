import { expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { ipFilter } from './index.js';

const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });
const route = { method: 'GET', path: '/r', reply: { body: 'reached' } };

describeEachFramework('ipFilter() against hostile address spellings', (fw) => {
  it('denies every spelling of a denied IPv4 address that means that address', async () => {
    const app = await fw.start({
      trustProxy: true,
      use: [ipFilter({ deny: ['127.0.0.0/8', '10.0.0.0/8'] })],
      routes: [route],
    });
    for (const address of [
      '127.0.0.1',
      '::ffff:127.0.0.1',
      '::FFFF:127.0.0.1',
      '::ffff:7f00:1',
      '0:0:0:0:0:ffff:7f00:1',
      '0000:0000:0000:0000:0000:ffff:127.0.0.1',
      '::ffff:10.1.2.3%eth0',
    ]) {
      expect((await app.request('/r', from(address))).status, address).toBe(403);
    }
  });

  it('refuses what is not one strict address (inet_aton forms, octal, trailing dot), never guessing', async () => {
    const app = await fw.start({
      trustProxy: true,
      use: [ipFilter({ deny: ['127.0.0.0/8'] })],
      routes: [route],
    });
    for (const address of [
      '0x7f.1',
      '0x7f000001',
      '2130706433',
      '127.1',
      '0177.0.0.1',
      '127.0.0.1.',
      '127.0.0.1 ',
      '127.0.0.1\t',
      '::ffff:127.0.0.1.',
      '::ffff:127.0.0.01',
    ]) {
      const res = await app.request('/r', from(address));
      expect(res.status, JSON.stringify(address)).toBe(403);
      expect(res.json).toEqual({ message: 'Forbidden' });
    }
  });

  it('treats IPv4-compatible, SIIT, NAT64 and 6to4 addresses as the IPv6 addresses they are', async () => {
    // Only `::ffff:a.b.c.d` is what a dual-stack socket reports for an IPv4 peer; the other
    // embeddings are IPv6 addresses routed as IPv6, and an allow list of IPv4 ranges does not
    // admit them.
    const app = await fw.start({
      trustProxy: true,
      use: [ipFilter({ allow: ['10.0.0.0/8'] })],
      routes: [route],
    });
    for (const address of [
      '::10.1.2.3',
      '::ffff:0:10.1.2.3',
      '64:ff9b::10.1.2.3',
      '2002:a01:203::1',
    ]) {
      expect((await app.request('/r', from(address))).status, address).toBe(403);
    }
    expect((await app.request('/r', from('::ffff:10.1.2.3'))).status).toBe(200);
  });

  it('without trust proxy, ignores X-Forwarded-For entirely', async () => {
    const app = await fw.start({
      use: [ipFilter({ allow: ['10.0.0.0/8'] })],
      routes: [route],
    });
    expect((await app.request('/r', from('10.1.2.3'))).status).toBe(403);
  });
});
