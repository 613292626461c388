/** The demo gateways (what `npm run demo` starts) answer the curl lines they print. */

import { afterAll, describe, expect, it } from 'vitest';
import { startExpressDemo } from '../../examples/express.js';
import { startKoaDemo } from '../../examples/koa.js';
import { request } from '../support/http.js';

describe.each([
  ['Express', startExpressDemo],
  ['Koa', startKoaDemo],
])('the %s demo', (_name, start) => {
  const demos: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    await Promise.all(demos.map((demo) => demo.close()));
  });

  it('echoes the request id and answers CORS for the demo origin', async () => {
    const demo = await start();
    demos.push(demo);
    const hello = await request(demo.url, '/hello', {
      headers: { 'x-request-id': 'demo-123', origin: 'https://app.example.com' },
    });
    expect(hello.status).toBe(200);
    expect(hello.headers['x-request-id']).toBe('demo-123');
    expect(hello.json).toMatchObject({ requestId: 'demo-123' });
    expect(hello.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const preflight = await request(demo.url, '/hello', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' },
    });
    expect(preflight.status).toBe(204);
  });
});
