/**
 * Builds a real app (Express 4/5, Koa 2/3) on 127.0.0.1 with a random port from a list of
 * middlewares and routes, so that one spec runs against every framework (h3's describeMatrix idea).
 */

import type { Server, ServerOptions } from 'node:http';
import type { ServerOptions as TlsServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import koa3 from 'koa';
import koa2 from 'koa2';
import { afterAll, afterEach, describe } from 'vitest';
import { coreHandlerOf } from '../../src/core/middleware.js';
import type { GatewayMiddleware } from '../../src/index.js';
import { PIPELINE_ORDER, pipeline } from '../../src/middleware/pipeline/index.js';
import { request, type TestRequest, type TestResponse } from './http.js';

/**
 * `PORTCULLIS_TEST_PIPELINE=1` (`npm run test:pipeline`) runs the pieces' own specs through
 * `gateway.pipeline()`: each run of consecutive pieces in `use` that are in the pipeline's order
 * becomes one pipeline of those pieces, already built, so every spec checks that the pipeline
 * answers as the pieces mounted apart do (issue 26). A piece alone gets an `ipFilter` that
 * admits every address beside it, so that the pipeline always composes two handlers or more.
 */
const THROUGH_PIPELINE = process.env.PORTCULLIS_TEST_PIPELINE === '1';

type Mounted = NonNullable<AppSetup['use']>[number];

/** `use` as mounted: as given, or with runs of pipeline pieces joined (see `THROUGH_PIPELINE`). */
function mounted(use: AppSetup['use']): Mounted[] {
  if (use === undefined) return [];
  if (!THROUGH_PIPELINE) return use;
  const order: readonly string[] = PIPELINE_ORDER;
  const out: Mounted[] = [];
  let run: Record<string, unknown> = {};
  let last = -1;
  const flush = () => {
    const names = Object.keys(run);
    if (names.length === 0) return;
    if (names.length === 1 && names[0] !== 'ipFilter')
      run.ipFilter = { allow: ['0.0.0.0/0', '::/0'] };
    out.push(pipeline(run as Parameters<typeof pipeline>[0]));
    run = {};
    last = -1;
  };
  for (const mw of use) {
    const at =
      typeof mw === 'function' && coreHandlerOf(mw) !== undefined ? order.indexOf(mw.name) : -1;
    if (at === -1) {
      flush();
      out.push(mw);
      continue;
    }
    if (at <= last) flush();
    run[order[at]!] = mw;
    last = at;
  }
  flush();
  return out;
}

export type FrameworkName = 'express4' | 'express5' | 'koa2' | 'koa3';
export type FrameworkKind = 'express' | 'koa';

/** A neutral reply: what the route answers, in whichever framework. */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | object;
  /** Throw an error with this status instead of answering (`err.status`/`err.statusCode`). */
  throwStatus?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: test handlers are framework-specific by nature.
type AnyHandler = (...args: any[]) => unknown;

export interface Route {
  method: string;
  path: string;
  /** The neutral reply, or a function computing it (counts calls, reads the gateway context...). */
  reply?: Reply | ((gateway: unknown) => Reply | Promise<Reply>);
  /** Framework-specific handlers, for what a neutral reply cannot express. */
  express?: AnyHandler;
  koa?: AnyHandler;
}

export interface AppSetup {
  /** Middlewares mounted with `app.use()` in order, before the routes. */
  use?: Array<GatewayMiddleware | { express?: AnyHandler; koa?: AnyHandler }>;
  routes?: Route[];
  /** Express: install an error handler that answers `{ message }` with err.status or 500. */
  expressErrorHandler?: boolean;
  /** Express `trust proxy` / Koa `app.proxy`. */
  trustProxy?: boolean;
  /** Options for Node's `http.createServer` (e.g. `insecureHTTPParser`). */
  serverOptions?: ServerOptions;
  /** Serve the app over TLS with these `https.createServer` options (`url` is then `https://`). */
  tls?: TlsServerOptions;
  /**
   * Errors that reach the framework's error handling (Express's error handlers or final handler,
   * Koa's `error` event) fail the test that caused them, unless they are the route's own
   * `throwStatus` errors or match this pattern (by message): set it for a test that expects a
   * middleware to hand an error on.
   */
  expectsErrors?: RegExp;
}

export interface TestApp {
  readonly url: string;
  /** Errors that reached the framework's error handling and were not expected; see `expectsErrors`. */
  readonly unexpectedErrors: unknown[];
  request(path: string, init?: TestRequest): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface Framework {
  readonly name: FrameworkName;
  readonly kind: FrameworkKind;
  /** Starts the app; it is closed automatically after the describe block. */
  start(setup: AppSetup): Promise<TestApp>;
}

const kExpected = Symbol('expected by the test');

function errorWithStatus(status: number): Error {
  return Object.assign(new Error(`boom ${status}`), {
    status,
    statusCode: status,
    expose: true,
    [kExpected]: true,
  });
}

/** Records `err` when it was not part of the test's plan. */
function watchError(setup: AppSetup, errors: unknown[], err: unknown): void {
  const planned = typeof err === 'object' && err !== null && kExpected in err;
  const message = err instanceof Error ? err.message : String(err);
  if (!planned && !setup.expectsErrors?.test(message)) errors.push(err);
}

async function resolveReply(route: Route, gateway: unknown): Promise<Reply> {
  const reply = typeof route.reply === 'function' ? await route.reply(gateway) : route.reply;
  return reply ?? { status: 200, body: 'ok' };
}

// biome-ignore lint/suspicious/noExplicitAny: express 4 and 5 share this shape.
function buildExpress(createApp: () => any, setup: AppSetup, errors: unknown[]) {
  const app = createApp();
  // Errors must not be logged as noise, nor pass unnoticed: record them, then let Express's
  // own handling (or the test's error handler) answer as it would.
  app.set('env', 'test');
  if (setup.trustProxy) app.set('trust proxy', true);
  for (const mw of setup.use ?? []) {
    if (typeof mw === 'function') app.use(mw);
    else if (mw.express) app.use(mw.express);
  }
  for (const route of setup.routes ?? []) {
    const method = route.method.toLowerCase();
    const handler =
      route.express ??
      // biome-ignore lint/suspicious/noExplicitAny: express req/res
      (async (req: any, res: any, next: any) => {
        try {
          const reply = await resolveReply(route, req.gateway);
          if (reply.throwStatus !== undefined) throw errorWithStatus(reply.throwStatus);
          res.status(reply.status ?? 200);
          for (const [name, value] of Object.entries(reply.headers ?? {}))
            res.setHeader(name, value);
          res.send(reply.body ?? '');
        } catch (err) {
          next(err);
        }
      });
    app[method](route.path, handler);
  }
  // biome-ignore lint/suspicious/noExplicitAny: express error handler signature
  app.use((err: any, _req: any, _res: any, next: any) => {
    watchError(setup, errors, err);
    next(err);
  });
  if (setup.expressErrorHandler) {
    // biome-ignore lint/suspicious/noExplicitAny: express error handler signature
    app.use((err: any, _req: any, res: any, _next: any) => {
      res.status(err.status ?? 500).json({ message: err.message });
    });
  }
  return app;
}

// biome-ignore lint/suspicious/noExplicitAny: koa 2 and 3 share this shape.
function buildKoa(KoaClass: any, setup: AppSetup, errors: unknown[]) {
  const app = new KoaClass();
  app.silent = true;
  app.on('error', (err: unknown) => watchError(setup, errors, err));
  if (setup.trustProxy) app.proxy = true;
  for (const mw of mounted(setup.use)) {
    if (typeof mw === 'function') app.use(mw);
    else if (mw.koa) app.use(mw.koa);
  }
  const routes = setup.routes ?? [];
  // biome-ignore lint/suspicious/noExplicitAny: koa ctx
  app.use(async (ctx: any, next: any) => {
    const route = routes.find((r) => r.method.toUpperCase() === ctx.method && r.path === ctx.path);
    if (route === undefined) return next();
    if (route.koa) return route.koa(ctx, next);
    const reply = await resolveReply(route, ctx.state.gateway);
    if (reply.throwStatus !== undefined) throw errorWithStatus(reply.throwStatus);
    ctx.status = reply.status ?? 200;
    for (const [name, value] of Object.entries(reply.headers ?? {})) ctx.set(name, value);
    ctx.body = reply.body ?? '';
  });
  return app;
}

async function listen(
  handler: (...args: never[]) => void,
  options: ServerOptions = {},
  tls?: TlsServerOptions,
): Promise<{ server: Server; url: string }> {
  const { createServer } = await import(tls === undefined ? 'node:http' : 'node:https');
  const server: Server = createServer({ ...options, ...tls }, handler as never);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}` };
}

function makeFramework(
  name: FrameworkName,
  kind: FrameworkKind,
  build: (
    setup: AppSetup,
    errors: unknown[],
  ) => { callback(): unknown } | ((...a: never[]) => void),
  registry: TestApp[],
): Framework {
  return {
    name,
    kind,
    async start(setup) {
      const unexpectedErrors: unknown[] = [];
      const app = build(setup, unexpectedErrors);
      const handler =
        kind === 'koa'
          ? (app as { callback(): (...a: never[]) => void }).callback()
          : (app as (...a: never[]) => void);
      const { server, url } = await listen(handler, setup.serverOptions, setup.tls);
      const testApp: TestApp = {
        url,
        unexpectedErrors,
        request: (path, init) => request(url, path, init),
        close: () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      };
      registry.push(testApp);
      return testApp;
    },
  };
}

/** Runs `spec` once per framework, with the framework's name in every test title. */
export function describeEachFramework(title: string, spec: (framework: Framework) => void): void {
  type Build = (setup: AppSetup, errors: unknown[]) => never;
  const builders: Array<[FrameworkName, FrameworkKind, Build]> = [
    ['express4', 'express', (setup, errors) => buildExpress(express4, setup, errors) as never],
    ['express5', 'express', (setup, errors) => buildExpress(express5, setup, errors) as never],
    ['koa2', 'koa', (setup, errors) => buildKoa(koa2, setup, errors) as never],
    ['koa3', 'koa', (setup, errors) => buildKoa(koa3, setup, errors) as never],
  ];
  for (const [name, kind, build] of builders) {
    describe(`${title} [${name}]`, () => {
      const apps: TestApp[] = [];
      // h3's describeMatrix rule: an error that reached the framework's error handling without
      // the test expecting it fails the test, even when the response looked right.
      afterEach(() => {
        const errors = apps.flatMap((app) => app.unexpectedErrors.splice(0));
        if (errors.length > 0) {
          const detail = errors.map((err) => (err instanceof Error ? err.stack : String(err)));
          throw new Error(
            `unexpected error(s) reached ${name}'s error handling:\n${detail.join('\n')}`,
          );
        }
      });
      afterAll(async () => {
        await Promise.all(apps.map((app) => app.close()));
      });
      spec(makeFramework(name, kind, build, apps));
    });
  }
}
