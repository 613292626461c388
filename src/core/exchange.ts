/**
 * The one view of a request/response that every middleware is written against. The adapters
 * (Express, Koa) subclass it; nothing here knows a framework.
 */

import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeader,
  ServerResponse,
} from 'node:http';
import type { Readable } from 'node:stream';
import { type GatewayContext, REQUEST_ID_HEADER } from './context.js';
import { type WriteHeadHeaders, writeHeadToWrap, writeHeadWith } from './write-head.js';

/**
 * Runs just before the status line and headers are written, whoever writes them (a handler,
 * Express's error handler, Koa's `onerror`, a proxied upstream). It may set and remove headers
 * and read `res.statusCode`. `state` is the value given to `onHeaders`, so hooks need no closure.
 */
export type HeadersHook<S = unknown> = (ex: Exchange, state: S) => void;

/** The downstream part of the chain. Koa: resolves when downstream middleware is done. Express: when the response is finished. */
export type Next = () => PromiseLike<void>;

/** A middleware written once against the exchange. Must return (or await) `next()` when it continues. */
export type CoreHandler = (ex: Exchange, next: Next) => void | PromiseLike<void>;

export abstract class Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly gateway: GatewayContext;
  /**
   * `req.headers`, read once: in Express every property read on `req` from a new call site
   * misses V8's caches (each request has a map of its own), so reads are kept few.
   */
  private readonly headers: IncomingHttpHeaders;
  /** Pairs of (hook, state), flat to avoid an allocation per hook; undefined until the first hook. */
  private hooks: unknown[] | undefined;
  /** Whether headers removed by the framework's error handling must get the request id back. */
  private readonly restoresRequestId: boolean;
  /** Whether `res.writeHead` already calls `beforeWriteHead` (`hookWriteHeadOnce`). */
  private writeHeadHooked = false;

  /**
   * `restoresRequestId`: the framework's error handling removes every header before writing an
   * error (Koa's `onerror`), so `res.writeHead` is wrapped from the start to put the request id
   * back. Otherwise (Express) it is wrapped only when the first `onHeaders` hook is registered:
   * a request through middlewares that need no hook (throttle, usage plans, a cache hit) pays
   * nothing for it.
   */
  protected constructor(
    req: IncomingMessage,
    res: ServerResponse,
    headers: IncomingHttpHeaders,
    gateway: GatewayContext,
    restoresRequestId: boolean,
  ) {
    this.req = req;
    this.res = res;
    this.headers = headers;
    this.gateway = gateway;
    this.restoresRequestId = restoresRequestId;
    if (restoresRequestId) this.hookWriteHeadOnce();
    res.setHeader(REQUEST_ID_HEADER, gateway.requestId);
  }

  /** `'express'` or `'koa'`. */
  abstract readonly framework: 'express' | 'koa';
  /** The framework's own request object (Express `req`, Koa `ctx`), handed to user callbacks. */
  abstract readonly native: unknown;
  /** Client address, honouring Express `trust proxy` / Koa `app.proxy`. */
  abstract get ip(): string;
  /** The request path as this middleware sees it (after an Express mount prefix), without the query. */
  abstract get path(): string;
  /** Ends the exchange with `status` and `body`; headers set before are kept. */
  abstract respond(status: number, body: Buffer | string | null): void;
  /**
   * Ends the exchange with `status` and a streamed body (e.g. an upstream response); headers set
   * before are kept. Koa: the stream becomes `ctx.body`, so it still flows through Koa.
   */
  abstract respondStream(status: number, body: Readable): void;

  /** Path and query as this middleware sees it (Express strips the mount prefix from `req.url`). */
  get url(): string {
    return this.req.url ?? '/';
  }

  /** Path and query as the client sent them, whatever the mounting. */
  abstract get originalUrl(): string;

  /**
   * The origin of the target URI (RFC 9110 §4.3.1; not the CORS `Origin` header):
   * `<protocol>://<host>` the request was made to, as the app sees it. This default reads the
   * socket and the `Host` header; the adapters honour the forwarded fields (`X-Forwarded-Proto`,
   * `X-Forwarded-Host`) when the app trusts its proxy (Express `trust proxy`, Koa `app.proxy`).
   */
  get targetOrigin(): string {
    return this.targetOriginAfter('');
  }

  /**
   * `lead` followed by `targetOrigin`. The cache key appends the origin on every request: built
   * onto `lead` directly, it is not first made a string of its own (one concatenation and one
   * string less per request). Adapters that honour forwarded fields override this.
   */
  targetOriginAfter(lead: string): string {
    return directOriginAfter(lead, this.req, this.header('host'));
  }

  /** Upper-case request method. */
  get method(): string {
    return this.req.method ?? 'GET';
  }

  /**
   * What a body parser that ran before left as the parsed body (Express `req.body`, Koa
   * `ctx.request.body`), or undefined. Only meaningful once the request stream was read.
   */
  get parsedBody(): unknown {
    return undefined;
  }

  /**
   * The route template that served the request (API Gateway's `resourcePath`), as the app's
   * router knows it once it matched: Express's mount path + `req.route.path`, Koa's
   * `ctx._matchedRoute` from @koa/router. `null` when no router route matched (a middleware such
   * as the proxy answered, or nothing did). Read it after the response, for logs and metrics:
   * it is a bounded label, unlike the raw path.
   */
  get routeTemplate(): string | null {
    return null;
  }

  /**
   * The path parameters the app's router matched (Express's `req.params`, @koa/router's
   * `ctx.params`), as the router gives them; undefined when no router route matched.
   */
  get routeParams(): Readonly<Record<string, unknown>> | undefined {
    return undefined;
  }

  /**
   * The raw body bytes a body parser kept (Express `req.rawBody` from the `verify` recipe, Koa
   * `ctx.request.rawBody` as @koa/bodyparser keeps it), or undefined.
   */
  get rawBody(): Buffer | string | undefined {
    return undefined;
  }

  /**
   * Hands a JSON body the gateway read (and parsed) to the body parsers mounted after it, which
   * can no longer read the stream: Express's `req.body` with body-parser's "already parsed"
   * mark, Koa's `ctx.request.body` (which @koa/bodyparser and koa-bodyparser skip when set).
   * Nothing is changed when a parser before already left a body.
   */
  keepParsedBody(_parsed: unknown, _raw: Buffer): void {}

  /** A request header (name in lower case); repeated headers are joined with ", ". */
  header(name: string): string | undefined {
    const value = this.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  setHeader(name: string, value: string | number | readonly string[]): void {
    this.res.setHeader(name, value);
  }

  getHeader(name: string): OutgoingHttpHeader | undefined {
    return this.res.getHeader(name);
  }

  removeHeader(name: string): void {
    this.res.removeHeader(name);
  }

  /** Registers `hook` to run just before headers are written. Hooks run in registration order. */
  onHeaders<S>(hook: HeadersHook<S>, state: S): void {
    if (this.hooks === undefined) {
      this.hooks = [];
      this.hookWriteHeadOnce();
    }
    this.hooks.push(hook, state);
  }

  /** `hookWriteHead`, unless done already for this response. */
  protected hookWriteHeadOnce(): void {
    if (this.writeHeadHooked) return;
    this.writeHeadHooked = true;
    this.hookWriteHead();
  }

  /**
   * Makes the next `res.writeHead` call `beforeWriteHead` first, once per response. Node's
   * implicit header (`res.end()` without `writeHead`) also goes through `res.writeHead`, so every
   * way of responding passes there, in both frameworks. This default wraps `res.writeHead` on
   * the response itself (the on-headers pattern): one closure and one property store. Whoever
   * wrapped `res.writeHead` before (on-headers) is called after the hooks; whoever wraps it
   * after, before them: either way the hooks run once, before the head is written.
   */
  protected hookWriteHead(): void {
    const res = this.res;
    const original = writeHeadToWrap(res);
    const ex = this;
    let hooked = false;
    res.writeHead = function writeHeadWithHooks(
      this: ServerResponse,
      statusCode: number,
      reasonOrHeaders?: string | WriteHeadHeaders,
      maybeHeaders?: WriteHeadHeaders,
    ): ServerResponse {
      // A second writeHead (Node refuses it anyway) passes through untouched.
      // biome-ignore lint/complexity/noArguments: passes the call on exactly as it was made.
      if (hooked) return Reflect.apply(original, this, arguments) as ServerResponse;
      hooked = true;
      return writeHeadWith(this, original, ex, statusCode, reasonOrHeaders, maybeHeaders);
    } as ServerResponse['writeHead'];
  }

  /** Runs the hooks once, just before the status line is written; returns the status to write. */
  beforeWriteHead(res: ServerResponse, statusCode: number): number {
    // A store on Express's re-prototyped `res` costs ~2 µs (bench/probes): only when it changes.
    if (res.statusCode !== statusCode) res.statusCode = statusCode;
    // Koa's onerror removes every header before writing an error; put the id back.
    if (this.restoresRequestId && !res.hasHeader(REQUEST_ID_HEADER))
      res.setHeader(REQUEST_ID_HEADER, this.gateway.requestId);
    const hooks = this.hooks;
    if (hooks !== undefined) {
      for (let i = 0; i < hooks.length; i += 2) (hooks[i] as HeadersHook)(this, hooks[i + 1]);
    }
    return res.statusCode;
  }
}

/**
 * `lead` + `<protocol>://<host>` of a request that came straight from the client (no trusted
 * proxy). The scheme and `://` are one constant: two concatenations in all.
 */
function directOriginAfter(lead: string, req: IncomingMessage, host: string | undefined): string {
  // A TLS socket has `encrypted: true`; a plain one has no such property.
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  return lead + (tls ? 'https://' : 'http://') + (host ?? '');
}

/** A raw body left on a framework's request by a parser recipe, when it is bytes or text. */
export function rawBodyOf(value: unknown): Buffer | string | undefined {
  return Buffer.isBuffer(value) || typeof value === 'string' ? value : undefined;
}
