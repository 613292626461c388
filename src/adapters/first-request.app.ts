/**
 * A fresh process's first request through the gateway, behind middlewares built on `on-headers`
 * (compression, morgan, express-session; koa-compress and koa-morgan's pattern in Koa) mounted
 * BEFORE it. Run by first-request.test.ts, one process per framework, because what portcullis
 * defines on Node's or a framework's prototypes is process-wide: a second app in the same process
 * would not show a first request.
 *
 *   node --import tsx src/adapters/first-request.app.ts <express4|express5|koa2|koa3>
 *
 * Prints the response (status, headers) and morgan's log lines as JSON.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import compression from 'compression';
import express5 from 'express';
import session from 'express-session';
import express4 from 'express4';
import koa3 from 'koa';
import koaCompress from 'koa-compress';
import koa2 from 'koa2';
import morgan from 'morgan';
import { request } from '../../test/support/http.js';
import { cors } from '../middleware/cors/index.js';
import { throttle } from '../middleware/throttle/index.js';

const APP = 'https://app.example.com';
/** Above compression's 1 KB threshold. */
const BIG = JSON.stringify({ text: 'x'.repeat(4096) });

// biome-ignore lint/suspicious/noExplicitAny: the four frameworks' apps and contexts
type Any = any;

/** morgan writing its lines to an array instead of stdout. */
function morganInto(lines: string[]) {
  return morgan(':status :res[access-control-allow-origin]', {
    stream: { write: (line: string) => void lines.push(line.trim()) },
  });
}

function expressApp(express: Any, lines: string[]) {
  const app = express();
  app.use(compression());
  app.use(morganInto(lines));
  app.use(session({ secret: 'first', resave: false, saveUninitialized: true }));
  app.use(cors({ origin: [APP] }));
  app.use(throttle({ rate: 10 }));
  app.get('/r', (_req: Any, res: Any) => res.type('json').send(BIG));
  return app;
}

function koaApp(Koa: Any, lines: string[]) {
  const app = new Koa();
  const log = morganInto(lines);
  app.use(koaCompress({ threshold: 1024 }));
  // What koa-morgan does: morgan on ctx.req/ctx.res, then the rest of the chain.
  app.use(async (ctx: Any, next: () => Promise<unknown>) => {
    await new Promise<void>((resolve, reject) =>
      log(ctx.req as IncomingMessage, ctx.res as ServerResponse, (err?: unknown) =>
        err ? reject(err) : resolve(),
      ),
    );
    await next();
  });
  app.use(cors({ origin: [APP] }));
  app.use(throttle({ rate: 10 }));
  app.use((ctx: Any) => {
    ctx.type = 'json';
    ctx.body = BIG;
  });
  return app.callback();
}

async function main(framework: string): Promise<void> {
  const lines: string[] = [];
  const builders: Record<string, () => Any> = {
    express4: () => expressApp(express4, lines),
    express5: () => expressApp(express5, lines),
    koa2: () => koaApp(koa2, lines),
    koa3: () => koaApp(koa3, lines),
  };
  const build = builders[framework];
  if (build === undefined) throw new Error(`unknown framework ${framework}`);
  const server = createServer(build());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const res = await request(`http://127.0.0.1:${port}`, '/r', {
    headers: { origin: APP, 'accept-encoding': 'gzip' },
  });
  server.close();
  process.stdout.write(JSON.stringify({ status: res.status, headers: res.headers, lines }));
}

main(process.argv[2] ?? '').catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
