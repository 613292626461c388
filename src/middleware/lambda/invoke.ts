/**
 * Running a handler as the Node.js Lambda runtime does: async or callback style, with a Lambda
 * `context`, ended by the first of its result, its error or the timeout.
 */

import type { LambdaConfig } from './options.js';
import type { LambdaCallback, LambdaContext, LambdaHandler } from './types.js';

/** How an invocation ended. */
export type Outcome =
  | { readonly kind: 'result'; readonly value: unknown }
  | { readonly kind: 'error'; readonly error: Error }
  | { readonly kind: 'timeout' };

const TIMED_OUT: Outcome = Object.freeze({ kind: 'timeout' });

/**
 * Calls `handler` once and resolves with the first way it ends: the value it returns or resolves
 * to, `callback(error, result)`, `context.succeed/fail/done`, a throw or rejection, or the
 * timeout. Anything after that (a second callback, a late result) is ignored, as Lambda does.
 */
export function invokeHandler(
  handler: LambdaHandler<unknown>,
  event: unknown,
  config: LambdaConfig,
  requestId: string,
): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(settle, config.timeout, TIMED_OUT);
    const succeed = (value: unknown): void => settle({ kind: 'result', value });
    const fail = (error: unknown): void => settle({ kind: 'error', error: asError(error) });
    const done: LambdaCallback = (error, result) => {
      if (error === undefined || error === null) succeed(result);
      else fail(error);
    };
    const deadline = config.clock.now() + config.timeout;
    const context = lambdaContext(config, requestId, deadline, done);
    // Node's runtime tells the styles apart by the declared parameters: a third is the callback.
    const usesCallback = handler.length >= 3;
    let returned: unknown;
    try {
      returned = handler(event, context, done);
    } catch (error) {
      fail(error);
      return;
    }
    // A hostile thenable's `then` (or its getter) may throw: the handler's failure, not ours.
    try {
      if (isThenable(returned)) {
        returned.then((value) => {
          // `async (event, context, callback) => { setTimeout(() => callback(null, r)) }`: the
          // promise ends first, empty; the callback brings the result.
          if (value === undefined && usesCallback) return;
          succeed(value);
        }, fail);
      } else if (!usesCallback) {
        succeed(returned);
      }
    } catch (error) {
      fail(error);
    }
  });
}

/** The Lambda `context` for one invocation. */
function lambdaContext(
  config: LambdaConfig,
  requestId: string,
  deadline: number,
  done: LambdaCallback,
): LambdaContext {
  const clock = config.clock;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: config.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: config.functionArn,
    memoryLimitInMB: '128',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${config.functionName}`,
    logStreamName: `[$LATEST]${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - clock.now()),
    done,
    fail: (error) => done(error ?? new Error('context.fail() called')),
    succeed: (result) => done(null, result),
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** What was thrown or reported, as an Error: Lambda handlers may fail with a string. */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
