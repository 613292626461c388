/** Koa 2/3 adapter: the only place that knows Koa's `(ctx, next)` and its context fields. */

import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { createGatewayContext, type GatewayContext, REQUEST_ID_HEADER } from '../core/context.js';
import { type CoreHandler, Exchange, rawBodyOf } from '../core/exchange.js';
import type { KoaContextLike } from '../core/middleware.js';
import { isSmallBody } from '../core/small-body.js';

const kExchange = Symbol.for('portcullis.koa.exchange');

/** Statuses Koa sends without a body (its `statuses.empty`). */
const BODILESS_STATUSES: ReadonlySet<number> = new Set([204, 205, 304]);

interface KoaContext extends KoaContextLike {
  state: { gateway?: GatewayContext };
  /** The Koa application (its `proxy` setting). */
  app?: { proxy?: boolean };
  /** Koa's request; `body`/`rawBody` are set by body parsers such as @koa/bodyparser. */
  request?: { body?: unknown; rawBody?: unknown };
  [kExchange]?: KoaExchange;
}

class KoaExchange extends Exchange {
  readonly framework = 'koa' as const;
  private readonly ctx: KoaContext;

  constructor(ctx: KoaContext) {
    const headers = ctx.req.headers;
    const gateway = createGatewayContext(headers[REQUEST_ID_HEADER]);
    ctx.state.gateway = gateway;
    super(ctx.req, ctx.res, headers, gateway, true);
    this.ctx = ctx;
  }

  get native(): unknown {
    return this.ctx;
  }

  get ip(): string {
    const ctx = this.ctx;
    // Without `app.proxy` (the default), `ctx.ip` is the socket's address, reached through the
    // X-Forwarded-For parsing of `ctx.ips`: read the socket directly, it costs a lot less.
    if (ctx.app?.proxy === false) return this.req.socket.remoteAddress ?? '';
    // Otherwise `ctx.ip` applies the app's `proxy` and `maxIpsCount` settings.
    return ctx.ip;
  }

  get originalUrl(): string {
    return this.ctx.originalUrl;
  }

  override targetOriginAfter(lead: string): string {
    const ctx = this.ctx;
    // Without `app.proxy` (the default) the forwarded fields are the client's to forge; with it,
    // Koa's `protocol` and `host` read X-Forwarded-Proto and X-Forwarded-Host. (Not `ctx.origin`:
    // Koa 3 made it the request's `Origin` header.)
    if (ctx.app?.proxy !== true) return super.targetOriginAfter(lead);
    const { protocol, host } = ctx as { protocol?: string; host?: string };
    return `${lead}${protocol ?? 'http'}://${host ?? ''}`;
  }

  get path(): string {
    return this.ctx.path;
  }

  override get routeTemplate(): string | null {
    // Set by @koa/router (and koa-router) on the route that matched: a path template string, or
    // a RegExp for regular-expression routes.
    const matched = (this.ctx as { _matchedRoute?: unknown })._matchedRoute;
    if (matched === undefined || matched === null) return null;
    return typeof matched === 'string' ? matched : String(matched);
  }

  override get routeParams(): Readonly<Record<string, unknown>> | undefined {
    // Set by @koa/router (and koa-router) on the route that matched.
    return (this.ctx as { params?: Record<string, unknown> }).params;
  }

  override get parsedBody(): unknown {
    return this.ctx.request?.body;
  }

  override get rawBody(): Buffer | string | undefined {
    return rawBodyOf(this.ctx.request?.rawBody);
  }

  override keepParsedBody(parsed: unknown, raw: Buffer): void {
    // @koa/bodyparser and koa-bodyparser skip a request whose `ctx.request.body` is set.
    const request = this.ctx.request;
    if (request === undefined || request.body !== undefined) return;
    request.body = parsed;
    if (request.rawBody === undefined) request.rawBody = raw.toString('utf8');
  }

  respond(status: number, body: Buffer | string | null): void {
    // Koa keeps headers set on `ctx.res` before the body is assigned.
    this.assignBody(status, body);
  }

  respondStream(status: number, body: Readable): void {
    // Handing the stream to Koa (not bypassing it with ctx.respond = false) keeps the response
    // flowing through the rest of the stack: cache capture, CORS hooks, Koa's own error handling.
    this.assignBody(status, body);
  }

  /**
   * Koa gives a body without Content-Type one of its own guessing (`application/octet-stream`
   * for a Buffer or stream, `text/html` or `text/plain` for a string): the gateway sends what it
   * was given, so an absent Content-Type (an upstream's, a stored response's) stays absent.
   */
  private assignBody(status: number, body: Buffer | string | Readable | null): void {
    const ctx = this.ctx;
    if (body === null && BODILESS_STATUSES.has(status)) {
      // Koa's status setter drops any body set before, and Koa strips the body headers of these
      // statuses itself when it responds: assigning `null` here would only strip them twice.
      ctx.status = status;
      return;
    }
    const untyped = !this.res.hasHeader('content-type');
    ctx.status = status;
    // Koa turns a null body into a 204 whatever the status: an empty body keeps, say, a 200.
    const assigned = body ?? '';
    ctx.body = Buffer.isBuffer(assigned) ? asKoaBody(assigned) : assigned;
    if (untyped) this.res.removeHeader('content-type');
  }
}

/**
 * A small body as the string Koa writes in one piece with the headers (see `SMALL_BODY_BYTES`).
 * Koa writes strings as UTF-8, so only a body that is valid UTF-8 comes back byte for byte;
 * any other stays a Buffer.
 */
function asKoaBody(body: Buffer): Buffer | string {
  return isSmallBody(body) && isUtf8(body) ? body.toString('utf8') : body;
}

/** The exchange of this request, created by the first portcullis middleware it meets. */
export function koaExchange(ctx: KoaContextLike): Exchange {
  const context = ctx as KoaContext;
  let ex = context[kExchange];
  if (ex === undefined) {
    ex = new KoaExchange(context);
    context[kExchange] = ex;
  }
  return ex;
}

/** Wraps a core handler as a Koa middleware. */
export function toKoa(handler: CoreHandler) {
  return function portcullisKoa(ctx: KoaContextLike, next: () => Promise<unknown>): Promise<void> {
    try {
      return Promise.resolve(handler(koaExchange(ctx), next as () => Promise<void>));
    } catch (err) {
      return Promise.reject(err);
    }
  };
}
