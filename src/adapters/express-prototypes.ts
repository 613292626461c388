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
 * So the exchange lives at `res.locals[kExchange]`, and, once per Express installation, a
 * `gateway` accessor on Express's request prototype and a `writeHead` on its response prototype
 * read it from there. Express documents `express.request` and `express.response` as the
 * prototypes to extend; requests that portcullis never saw read `gateway` as undefined, and their
 * `writeHead` costs one property read more.
 *
 * A request that does not come through Express (an `(req, res, next)` caller on plain
 * `node:http`) has neither `res.locals` nor a framework prototype; the adapter then stores on the
 * objects themselves, which costs nothing special there.
 */

import {
  IncomingMessage,
  type OutgoingHttpHeader,
  type OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
import { type WriteHeadListener, writeHeadOnce } from '../core/write-head.js';

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
 * One extension (the `gateway` accessor, or `writeHead`) of the framework prototype above a Node
 * prototype, made the first time an object of that kind is seen and remembered per prototype.
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

function defineWriteHead(prototype: object): boolean {
  if (Object.hasOwn(prototype, 'writeHead')) return false;
  // Looked up at each call rather than captured, so that a later patch of Node's prototype
  // (APM agents do this) is still called.
  const parent = Object.getPrototypeOf(prototype) as ServerResponse;
  Object.defineProperty(prototype, 'writeHead', {
    configurable: true,
    enumerable: false,
    writable: true,
    value: function writeHead(
      this: ServerResponse,
      statusCode: number,
      reasonOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
      maybeHeaders?: OutgoingHttpHeaders | OutgoingHttpHeader[],
    ): ServerResponse {
      const locals = (this as WithLocals).locals;
      const listener = locals?.[kListener] as WriteHeadListener | undefined;
      if (listener === undefined) {
        // biome-ignore lint/complexity/noArguments: passes the call on exactly as it was made.
        return Reflect.apply(parent.writeHead, this, arguments) as ServerResponse;
      }
      (locals as Locals)[kListener] = undefined;
      return writeHeadOnce(
        this,
        parent.writeHead,
        listener,
        statusCode,
        reasonOrHeaders,
        maybeHeaders,
      );
    },
  });
  return true;
}

const requestExtension = new PrototypeExtension(IncomingMessage.prototype, defineGatewayAccessor);
const responseExtension = new PrototypeExtension(ServerResponse.prototype, defineWriteHead);

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
 * has no `res.locals` or no framework prototype to extend; the caller then wraps `res.writeHead`
 * itself.
 */
export function listenBeforeWriteHead(res: ServerResponse, listener: WriteHeadListener): boolean {
  const locals = localsOf(res);
  if (locals === undefined || !responseExtension.covers(res)) return false;
  locals[kListener] = listener;
  return true;
}
