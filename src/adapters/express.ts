/** Express 4/5 adapter: the only place that knows Express's `(req, res, next)` and its request fields. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createGatewayContext, type GatewayContext, REQUEST_ID_HEADER } from '../core/context.js';
import { type CoreHandler, Exchange, rawBodyOf } from '../core/exchange.js';
import type { ExpressNext } from '../core/middleware.js';
import { isSmallBody } from '../core/small-body.js';
import { pathEnd } from '../core/target.js';
import {
  attachExchange,
  attachedExchange,
  installWriteHead,
  listenBeforeWriteHead,
} from './express-prototypes.js';

/** The fields of Express's request that portcullis reads (present in Express 4 and 5). */
interface ExpressRequest extends IncomingMessage {
  ip?: string;
  /** The Express application (its `trust proxy` setting). */
  app?: { get(setting: string): unknown };
  path?: string;
  originalUrl?: string;
  gateway?: GatewayContext;
}

class ExpressExchange extends Exchange {
  readonly framework = 'express' as const;
  private readonly expressReq: ExpressRequest;

  constructor(req: ExpressRequest, res: ServerResponse) {
    const headers = req.headers;
    super(req, res, headers, createGatewayContext(headers[REQUEST_ID_HEADER]), false);
    this.expressReq = req;
    // Through an accessor on Express's request prototype where possible (express-prototypes.ts).
    if (!attachExchange(req, res, this)) {
      req.gateway = this.gateway;
      fallbackExchanges.set(req, this);
      // Nothing else sees this response's writeHead: the wrapper applies writeHead's own headers
      // (raw arrays) after the request id set above, hooks or not.
      this.hookWriteHeadOnce();
    }
  }

  protected override hookWriteHead(): void {
    // Through Node's response prototype where possible, else on this response (express-prototypes.ts).
    if (!listenBeforeWriteHead(this.res, this)) super.hookWriteHead();
  }

  get native(): unknown {
    return this.expressReq;
  }

  get ip(): string {
    const req = this.expressReq;
    // `req.app` is a property of the request's prototype (the app's `app.request`): read there,
    // it skips a lookup on `req`, whose map is new for every request (express-prototypes.ts).
    const app = (Object.getPrototypeOf(req) as ExpressRequest).app ?? req.app;
    // Without `trust proxy` (the default), `req.ip` is the socket's address, reached through
    // proxy-addr's parsing of X-Forwarded-For: read the socket directly, it costs a lot less.
    if (app?.get('trust proxy') === false) return req.socket.remoteAddress ?? '';
    // Otherwise `req.ip` applies the app's `trust proxy` setting.
    return req.ip ?? req.socket.remoteAddress ?? '';
  }

  get originalUrl(): string {
    return this.expressReq.originalUrl ?? this.req.url ?? '/';
  }

  override targetOriginAfter(lead: string): string {
    const req = this.expressReq;
    const app = (Object.getPrototypeOf(req) as ExpressRequest).app ?? req.app;
    // Without `trust proxy` (the default) the forwarded fields are the client's to forge.
    if (app === undefined || app.get('trust proxy') === false) return super.targetOriginAfter(lead);
    // Express 5's `req.host` (Express 4's `req.host` drops the port): the first forwarded host
    // when the peer is trusted, else `Host`; `req.protocol` applies the same trust.
    const trust = app.get('trust proxy fn') as (address: string | undefined, i: number) => boolean;
    const forwarded = this.header('x-forwarded-host');
    const host =
      forwarded !== undefined && forwarded !== '' && trust(req.socket.remoteAddress, 0)
        ? forwarded.split(',', 1)[0]!.trim()
        : this.header('host');
    return `${lead}${(req as { protocol?: string }).protocol ?? 'http'}://${host ?? ''}`;
  }

  get path(): string {
    const { path } = this.expressReq;
    if (path !== undefined) return path;
    const url = this.req.url ?? '/';
    return url.slice(0, pathEnd(url));
  }

  override get routeTemplate(): string | null {
    // `req.route` is the matched route; `req.baseUrl` the path of the routers it is mounted in.
    const req = this.expressReq as { route?: { path?: unknown }; baseUrl?: string };
    const path = req.route?.path;
    if (path === undefined || path === null) return null;
    return `${req.baseUrl ?? ''}${templateText(path)}`;
  }

  override get routeParams(): Readonly<Record<string, unknown>> | undefined {
    // Only a matched route's parameters: before one, `req.params` is a mount's (often `{}`).
    const req = this.expressReq as { route?: unknown; params?: Record<string, unknown> };
    return req.route === undefined ? undefined : req.params;
  }

  /** Set by body parsers (`express.json()`...). */
  override get parsedBody(): unknown {
    return (this.expressReq as { body?: unknown }).body;
  }

  /** Set by the `verify` recipe: `express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })`. */
  override get rawBody(): Buffer | string | undefined {
    // Read through a structural cast: some packages (e.g. @koa/bodyparser) augment Node's
    // IncomingMessage with their own `body`/`rawBody` types.
    return rawBodyOf((this.expressReq as { rawBody?: unknown }).rawBody);
  }

  override keepParsedBody(parsed: unknown, raw: Buffer): void {
    // `_body` is body-parser's mark of a body already parsed: `express.json()` after us skips.
    const req = this.expressReq as { body?: unknown; _body?: boolean; rawBody?: unknown };
    if (req._body === true || req.body !== undefined) return;
    req.body = parsed;
    req._body = true;
    if (req.rawBody === undefined) req.rawBody = raw;
  }

  respond(status: number, body: Buffer | string | null): void {
    const res = this.res;
    // Every store on Express's re-prototyped `res` costs ~2 µs (bench/probes): only on a change.
    if (res.statusCode !== status) res.statusCode = status;
    if (body === null) {
      res.end();
      return;
    }
    if (typeof body === 'string') {
      res.setHeader('content-length', Buffer.byteLength(body));
      res.end(body);
      return;
    }
    res.setHeader('content-length', body.length);
    // Latin-1 maps each byte to one character and back, so any bytes survive the string.
    if (isSmallBody(body)) res.end(body.toString('latin1'), 'latin1');
    else res.end(body);
  }

  respondStream(status: number, body: Readable): void {
    const res = this.res;
    if (res.statusCode !== status) res.statusCode = status;
    body.on('error', (err) => res.destroy(err));
    body.pipe(res);
  }
}

/** The exchange of this request, created by the first portcullis middleware it meets. */
export function expressExchange(req: IncomingMessage, res: ServerResponse): Exchange {
  return (
    (attachedExchange(res) as ExpressExchange | undefined) ??
    fallbackExchanges.get(req) ??
    new ExpressExchange(req, res)
  );
}

/** Exchanges of requests that did not come through Express (no `res.locals`); rare, so a WeakMap will do. */
const fallbackExchanges = new WeakMap<IncomingMessage, ExpressExchange>();

/** Resolves when the response has been sent or the connection closed. */
function responseDone(res: ServerResponse): Promise<void> {
  if (res.writableFinished || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    res.once('finish', () => resolve());
    res.once('close', () => resolve());
  });
}

/**
 * What `next()` returns in Express: Express's chain gives no completion signal, so awaiting it
 * waits for the response to finish. Lazy, so that middlewares that merely `return next()` pay
 * nothing for it.
 */
class ExpressDownstream implements PromiseLike<void> {
  constructor(private readonly res: ServerResponse) {}

  // biome-ignore lint/suspicious/noThenProperty: this object is deliberately awaitable.
  then<A = void, B = never>(
    // biome-ignore lint/suspicious/noConfusingVoidType: mirrors PromiseLike<void>.
    onFulfilled?: ((value: void) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    return responseDone(this.res).then(onFulfilled, onRejected);
  }
}

/** Wraps a core handler as an Express middleware. */
export function toExpress(handler: CoreHandler) {
  // At start-up, before any request: see installWriteHead.
  installWriteHead();
  return function portcullisExpress(
    req: IncomingMessage,
    res: ServerResponse,
    next: ExpressNext,
  ): void {
    let downstream: ExpressDownstream | undefined;
    const callNext = (): PromiseLike<void> => {
      if (downstream !== undefined) throw new Error('portcullis: next() called multiple times');
      downstream = new ExpressDownstream(res);
      next();
      return downstream;
    };
    const fail = (err: unknown): void => {
      // Before downstream ran, Express's error handlers own the error; after, nobody does,
      // so end the response rather than leave the client hanging.
      if (downstream === undefined) next(err);
      else if (!res.writableEnded) res.destroy(err instanceof Error ? err : new Error(String(err)));
    };
    try {
      const result = handler(expressExchange(req, res), callNext);
      if (result !== undefined && result !== downstream) result.then(undefined, fail);
    } catch (err) {
      fail(err);
    }
  };
}

/** A route path as text: Express accepts strings, regular expressions and arrays of either. */
function templateText(path: unknown): string {
  if (typeof path === 'string') return path;
  if (Array.isArray(path)) return path.map(templateText).join(',');
  return String(path);
}
