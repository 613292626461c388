/**
 * The header hooks on the very first request of a fresh process, behind middlewares built on
 * `on-headers` (compression, morgan, express-session) mounted BEFORE the gateway. Those wrap
 * `res.writeHead` on the response and call the `writeHead` they found there: whatever portcullis
 * does to Node's or a framework's prototypes must already be in place when they look.
 *
 * Keep this file on its own: the first portcullis request of a process is what it tests, so no
 * other test may send one through these frameworks earlier in the same process (vitest runs each
 * file in a fresh process).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import compression from 'compression';
import session from 'express-session';
import koaCompress from 'koa-compress';
import morgan from 'morgan';
import { expect, it } from 'vitest';
import { describeEachFramework } from '../../test/support/frameworks.js';
import { cors } from '../middleware/cors/index.js';
import { throttle } from '../middleware/throttle/index.js';

const APP = 'https://app.example.com';
/** Above compression's 1 KB threshold. */
const BIG = { text: 'x'.repeat(4096) };

/** morgan writing its lines to an array instead of stdout. */
function morganInto(lines: string[]) {
  return morgan(':status :res[access-control-allow-origin]', {
    stream: { write: (line: string) => void lines.push(line.trim()) },
  });
}

/** What koa-morgan does: morgan on `ctx.req`/`ctx.res`, then the rest of the chain. */
function koaMorgan(lines: string[]) {
  const log = morganInto(lines);
  // biome-ignore lint/suspicious/noExplicitAny: Koa's ctx
  return async (ctx: any, next: () => Promise<unknown>) => {
    await new Promise<void>((resolve, reject) =>
      log(ctx.req as IncomingMessage, ctx.res as ServerResponse, (err?: unknown) =>
        err ? reject(err) : resolve(),
      ),
    );
    await next();
  };
}

describeEachFramework('header hooks on the first request of a process', (fw) => {
  it('apply behind compression, morgan and a session store mounted before the gateway', async () => {
    const lines: string[] = [];
    const before =
      fw.kind === 'express'
        ? [
            { express: compression() },
            { express: morganInto(lines) },
            {
              express: session({ secret: 'first', resave: false, saveUninitialized: true }),
            },
          ]
        : [{ koa: koaCompress({ threshold: 1024 }) }, { koa: koaMorgan(lines) }];
    const app = await fw.start({
      use: [...before, cors({ origin: [APP] }), throttle({ rate: 10 })],
      routes: [{ method: 'GET', path: '/r', reply: { body: BIG } }],
    });
    const res = await app.request('/r', {
      headers: { origin: APP, 'accept-encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(res.headers.vary).toMatch(/Origin/);
    expect(res.headers.ratelimit).toMatch(/r=9/);
    expect(res.headers['x-request-id']).toBeTruthy();
    // The middlewares before the gateway did their part too.
    expect(res.headers['content-encoding']).toBe('gzip');
    if (fw.kind === 'express') expect(res.headers['set-cookie']?.[0]).toMatch(/^connect\.sid=/);
    // morgan's own on-headers listener saw the final headers.
    expect(lines).toEqual([`200 ${APP}`]);
  });
});
