/**
 * One dispatch for many core handlers, koa-compose's onion over the exchange: each handler's
 * `next()` runs the following one, the last one's runs the framework's `next`.
 */

import type { CoreHandler, Exchange, Next } from '../../core/exchange.js';

/** What `next()` gives back when nothing is left to wait for. */
const SETTLED: PromiseLike<void> = Promise.resolve();

const twice = () => new Error('portcullis.pipeline: next() called multiple times');

/**
 * Composes `handlers` into one. Koa: exactly koa-compose (a handler's failure rejects the
 * `next()` of the one before, up to Koa). Express: handlers that continue do not return their
 * `next()` (Express has nothing to wait for), so a failure is not passed up the chain but handed
 * straight to the adapter through the thenable the composed handler returns: before the app's
 * route ran, Express's error handlers get it, as they would from a separately mounted piece.
 */
export function compose(handlers: readonly CoreHandler[]): CoreHandler {
  if (handlers.length === 1) return handlers[0]!;
  return function pipeline(ex: Exchange, next: Next) {
    if (ex.framework === 'koa') return new KoaPass(handlers, ex, next).dispatch(0);
    const pass = new ExpressPass(handlers, ex, next);
    pass.dispatch(0);
    return pass;
  };
}

/** One request's way through the handlers, in Koa. */
class KoaPass {
  private index = -1;

  constructor(
    private readonly handlers: readonly CoreHandler[],
    private readonly ex: Exchange,
    private readonly next: Next,
  ) {}

  dispatch(i: number): PromiseLike<void> {
    if (i <= this.index) return Promise.reject(twice());
    this.index = i;
    const { handlers } = this;
    if (i === handlers.length) return this.next();
    try {
      return handlers[i]!(this.ex, () => this.dispatch(i + 1)) ?? SETTLED;
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/**
 * One request's way through the handlers, in Express. It is also what the composed handler
 * returns: the adapter's `then(undefined, fail)` is where any handler's failure goes.
 */
class ExpressPass implements PromiseLike<void> {
  private index = -1;
  /** The framework's `next()` once called: what Express's `next()` gives back to every handler. */
  private downstream: PromiseLike<void> | undefined;
  private failure: { error: unknown } | undefined;
  private onRejected: ((reason: unknown) => unknown) | undefined;
  private readonly failed = (err: unknown): void => this.fail(err);

  constructor(
    private readonly handlers: readonly CoreHandler[],
    private readonly ex: Exchange,
    private readonly next: Next,
  ) {}

  dispatch(i: number): PromiseLike<void> {
    if (i <= this.index) {
      this.fail(twice());
      return SETTLED;
    }
    this.index = i;
    const { handlers } = this;
    if (i === handlers.length) {
      this.downstream = this.next();
      return this.downstream;
    }
    let result: void | PromiseLike<void>;
    try {
      result = handlers[i]!(this.ex, () => this.dispatch(i + 1));
    } catch (err) {
      this.fail(err);
      return SETTLED;
    }
    if (result !== undefined && result !== this.downstream && result !== SETTLED)
      result.then(undefined, this.failed);
    return this.downstream ?? SETTLED;
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = { error };
    this.onRejected?.(error);
  }

  // biome-ignore lint/suspicious/noThenProperty: the adapter awaits failures through it.
  then<A = void, B = never>(
    // biome-ignore lint/suspicious/noConfusingVoidType: mirrors PromiseLike<void>.
    _onFulfilled?: ((value: void) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    if (onRejected !== null && onRejected !== undefined) {
      this.onRejected = onRejected;
      if (this.failure !== undefined) onRejected(this.failure.error);
    }
    return this as unknown as PromiseLike<A | B>;
  }
}
