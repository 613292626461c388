/**
 * Per-request state for Express without adding properties to `req` or `res`.
 *
 * Express gives every request its own prototype chain (`Object.setPrototypeOf(req, app.request)`).
 * On V8 before 13 (Node 20 and 22), an object whose prototype was changed that way gets a map of
 * its own for every property added afterwards: each new property on `req`/`res` allocates a map
 * and a copy of its descriptors, ~30k instructions (bench/probes/instructions.mjs), and later
 * reads of that object miss V8's caches. A WeakMap keyed by `req` is worse still: its entries
 * make every young-generation GC slower (~80k instructions per request). What Express gives for
 * per-request data is `res.locals`, a plain object: adding a symbol-keyed entry to it costs ~2k.
 *
 * So the exchange lives at `res.locals[kExchange]`, and a `gateway` accessor on Express's request
 * prototype (defined once per Express installation; Express documents `express.request` as the
 * prototype to extend) reads it from there; requests that portcullis never saw read `gateway` as
 * undefined. The header hooks run from a `writeHead` defined once, at start-up, on Node's
 * response prototype (`installWriteHead`), which reads the listener from `res.locals` too.
 *
 * A request that does not come through Express (an `(req, res, next)` caller on plain
 * `node:http`) has neither `res.locals` nor a framework prototype; the adapter then stores on the
 * objects themselves, which costs nothing special there.
 */

import { IncomingMessage, ServerResponse } from 'node:http';
import {
  definedOnPrototype,
  hasArrayHeaders,
  type WriteHeadHeaders,
  type WriteHeadListener,
  writeHeadWith,
} from '../core/write-head.js';

/** What `res.locals[kExchange]` holds: the exchange, with its gateway context. */
export interface HasGateway {
  readonly gateway: unknown;
}

type Locals = Record<symbol, unknown>;
type WithLocals = { locals?: Locals };

const kExchange = Symbol('portcullis.exchange');
/** Set in `res.locals` while a `WriteHeadListener` waits for this response's `writeHead`. */
const kListener = Symbol('portcullis.writeHead');

const extendedPrototypes = new WeakSet<object>();
const unextendablePrototypes = new WeakSet<object>();

/**
 * The prototype to extend: the object just above Node's own in the chain (`express.request` or
 * `express.response`), or null when the object is Node's own (no framework in between).
 */
function frameworkPrototype(object: object, nodePrototype: object): object | null {
  let current = Object.getPrototypeOf(object) as object | null;
  if (current === nodePrototype) return null;
  while (current !== null) {
    const parent = Object.getPrototypeOf(current) as object | null;
    if (parent === nodePrototype) return current;
    current = parent;
  }
  return null;
}

/**
 * One extension (the `gateway` accessor) of the framework prototype above a Node prototype, made the first time an object of that kind is seen and remembered per prototype.
 */
class PrototypeExtension {
  /** The prototype of the last object found extended: one app is the common case. */
  private last: object | null = null;

  constructor(
    private readonly nodePrototype: object,
    private readonly extend: (prototype: object) => boolean,
  ) {}

  /** Whether `object`'s chain carries the extension; extends it the first time when it can. */
  covers(object: object): boolean {
    const own = Object.getPrototypeOf(object) as object;
    if (own === this.last || extendedPrototypes.has(own)) {
      this.last = own;
      return true;
    }
    if (unextendablePrototypes.has(own)) return false;
    const target = frameworkPrototype(object, this.nodePrototype);
    const ok = target !== null && (extendedPrototypes.has(target) || this.extend(target));
    if (ok) {
      extendedPrototypes.add(target);
      extendedPrototypes.add(own);
      this.last = own;
    } else {
      unextendablePrototypes.add(own);
    }
    return ok;
  }
}

/** `res.locals` when it is an object (every Express response), else undefined. */
function localsOf(res: ServerResponse): Locals | undefined {
  const locals = (res as WithLocals).locals;
  return typeof locals === 'object' && locals !== null ? locals : undefined;
}

function defineGatewayAccessor(prototype: object): boolean {
  if (Object.hasOwn(prototype, 'gateway')) return false;
  Object.defineProperty(prototype, 'gateway', {
    configurable: true,
    enumerable: false,
    get(this: IncomingMessage & { res?: WithLocals }) {
      return (this.res?.locals?.[kExchange] as HasGateway | undefined)?.gateway;
    },
    // An assignment (by the app, or another library) becomes the request's own property, as it
    // would without the accessor.
    set(this: IncomingMessage, value: unknown) {
      Object.defineProperty(this, 'gateway', {
        value,
        writable: true,
        configurable: true,
        enumerable: true,
      });
    },
  });
  return true;
}

/** Node's `writeHead` as found when portcullis installed its own; what every response ends in. */
let nodeWriteHead: ServerResponse['writeHead'] | undefined;

/**
 * Defines, once per process and before the first request (when the first middleware is created),
 * a `writeHead` on Node's `ServerResponse.prototype` that runs the listener `res.locals` holds.
 *
 * Why Node's prototype, and why at start-up: middlewares built on `on-headers` (compression,
 * morgan, express-session) wrap `res.writeHead` on each response and call the `writeHead` they
 * found there. Had portcullis extended Express's prototype when it first saw a request, those
 * mounted before it would, on the first request, have found Node's `writeHead` and skipped the
 * hooks. Express's prototype cannot be reached before a request without importing Express; Node's
 * can, and every response's chain ends there. A response portcullis never saw (no listener, no
 * exchange in `res.locals`, or no `res.locals`: Koa, other servers) costs one property read and
 * is passed on untouched.
 */
export function installWriteHead(): void {
  if (nodeWriteHead !== undefined) return;
  const prototype = ServerResponse.prototype;
  // Captured once: an APM agent that patches Node's prototype later wraps this function, one
  // that patched it before is what this one calls.
  const original = prototype.writeHead;
  nodeWriteHead = original;
  Object.defineProperty(prototype, 'writeHead', {
    configurable: true,
    enumerable: false,
    writable: true,
    value: function writeHead(
      this: ServerResponse,
      statusCode: number,
      reasonOrHeaders?: string | WriteHeadHeaders,
      maybeHeaders?: WriteHeadHeaders,
    ): ServerResponse {
      const locals = (this as WithLocals).locals;
      if (locals !== undefined && locals !== null) {
        const listener = locals[kListener] as WriteHeadListener | undefined;
        if (listener !== undefined) {
          locals[kListener] = undefined;
          return writeHeadWith(this, original, listener, statusCode, reasonOrHeaders, maybeHeaders);
        }
        // No hook, but the gateway set headers already: Node 20 would then collapse a repeated
        // field of a raw header array (write-head.ts).
        if (hasArrayHeaders(reasonOrHeaders, maybeHeaders) && locals[kExchange] !== undefined)
          return writeHeadWith(
            this,
            original,
            undefined,
            statusCode,
            reasonOrHeaders,
            maybeHeaders,
          );
      }
      // biome-ignore lint/complexity/noArguments: passes the call on exactly as it was made.
      return Reflect.apply(original, this, arguments) as ServerResponse;
    },
  });
  // The wrappers of responses without `res.locals` (Koa's) call `original` directly.
  definedOnPrototype(prototype.writeHead, original);
}

const requestExtension = new PrototypeExtension(IncomingMessage.prototype, defineGatewayAccessor);

/**
 * Keeps `owner` in `res.locals` (see `attachedExchange`) and makes `req.gateway` read
 * `owner.gateway`. Returns false when this is not an Express request (no `res.locals`, no
 * framework prototype); the caller then stores `req.gateway` itself.
 */
export function attachExchange(
  req: IncomingMessage,
  res: ServerResponse,
  owner: HasGateway,
): boolean {
  const locals = localsOf(res);
  if (locals === undefined || !requestExtension.covers(req)) return false;
  locals[kExchange] = owner;
  return true;
}

/** The owner given to `attachExchange` for this response, if any. */
export function attachedExchange(res: ServerResponse): HasGateway | undefined {
  return localsOf(res)?.[kExchange] as HasGateway | undefined;
}

/**
 * Makes the next `res.writeHead` call `listener.beforeWriteHead` first. Returns false when `res`
 * has no `res.locals` (not an Express response); the caller then wraps `res.writeHead` itself.
 */
export function listenBeforeWriteHead(res: ServerResponse, listener: WriteHeadListener): boolean {
  const locals = localsOf(res);
  if (locals === undefined || nodeWriteHead === undefined) return false;
  locals[kListener] = listener;
  return true;
}
