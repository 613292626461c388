/** `gateway.lambda()`: API Gateway's Lambda proxy integration, with the handler run in this process. */

import { createMiddleware } from '../../adapters/universal.js';
import { sendGatewayError } from '../../core/errors.js';
import type { Exchange } from '../../core/exchange.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import {
  RequestBodyGoneError,
  RequestBodyTooLargeError,
  readRequestBody,
} from '../../core/request-body.js';
import { buildEvent } from './event.js';
import { invokeHandler, type Outcome } from './invoke.js';
import { type LambdaConfig, type LambdaOptions, resolveLambdaOptions } from './options.js';
import { MalformedResultError, type MappedResult, mapResult } from './result.js';
import type { LambdaErrorDetails, LambdaEvent, LambdaHandler } from './types.js';

const BODILESS_STATUSES: ReadonlySet<number> = new Set([204, 304]);

/**
 * Runs an AWS Lambda handler written for API Gateway's proxy integration as the request's
 * handler: it gets the event API Gateway would send (payload format 1.0 or 2.0) and a Lambda
 * `context`, and its result becomes the response. A handler that throws, rejects or answers
 * something API Gateway refuses gets the client 502 `{"message":"Internal server error"}`; one
 * that takes longer than `timeout`, 504 `{"message":"Endpoint request timed out"}`; either way
 * `onError` is told. A body over `bodyLimit` is answered 413 without calling the handler.
 *
 * Route information (`resource`, `pathParameters`, `routeKey`) comes from `gateway.openapi()`
 * when it matched the request, else from the app's router (Express route parameters,
 * @koa/router's `ctx.params`).
 *
 * @example
 * // Express
 * app.get('/pets/:id', gateway.lambda(handler));
 * // Koa with @koa/router
 * router.get('/pets/:id', gateway.lambda(handler, { payloadFormatVersion: '2.0' }));
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 */
export function lambda<E = LambdaEvent>(
  handler: LambdaHandler<E>,
  options?: LambdaOptions,
): GatewayMiddleware {
  const config = resolveLambdaOptions(handler, options);
  const invocable = handler as LambdaHandler<unknown>;
  return createMiddleware('lambda', async function lambda(ex: Exchange): Promise<void> {
    const bytes = await requestBytes(ex, config);
    if (bytes === undefined) return;
    const event = buildEvent(ex, config, bytes);
    const started = performance.now();
    const outcome = await invokeHandler(invocable, event, config, ex.gateway.requestId);
    ex.gateway.integrationLatency = Math.round(performance.now() - started);
    answer(ex, config, outcome);
  });
}

/** The request body, or undefined when the request was answered (413) or the client left. */
async function requestBytes(ex: Exchange, config: LambdaConfig): Promise<Buffer | undefined> {
  try {
    return await readRequestBody(ex, config.bodyLimit);
  } catch (error) {
    if (error instanceof RequestBodyTooLargeError) {
      // The rest of the body is not read: the connection cannot carry another request.
      ex.setHeader('connection', 'close');
      sendGatewayError(ex, 'requestTooLarge');
      return undefined;
    }
    // A body parser that kept nothing is the app's mistake, for its error handling to show.
    if (error instanceof RequestBodyGoneError) throw error;
    // Otherwise the request stream broke: the client left mid-body, or its framing was bad and
    // Node's parser answers 400 itself. There is no one to answer.
    return undefined;
  }
}

/** Sends the outcome: the mapped result, or the gateway's 502/504 (then tells `onError`). */
function answer(ex: Exchange, config: LambdaConfig, outcome: Outcome): void {
  if (outcome.kind === 'timeout') {
    ex.gateway.integrationTimedOut = true;
    ex.gateway.integrationError = 'timeout';
    sendGatewayError(ex, 'timeout');
    report(ex, config, new Error(`no result within ${config.timeout} ms`), 'timeout');
    return;
  }
  if (outcome.kind === 'error') {
    fail(ex, config, outcome.error, 'error');
    return;
  }
  let mapped: MappedResult;
  try {
    mapped = mapResult(outcome.value, config.version);
  } catch (error) {
    if (!(error instanceof MalformedResultError)) throw error;
    fail(ex, config, error, 'malformed');
    return;
  }
  ex.gateway.integrationStatus = mapped.status;
  if (ex.res.destroyed) return;
  for (const [name, value] of mapped.headers) ex.setHeader(name, value);
  // RFC 9110 §6.4.1: a 204 or 304 has no content, so no Content-Length for one either.
  ex.respond(mapped.status, BODILESS_STATUSES.has(mapped.status) ? null : mapped.body);
}

/** 502 `{"message":"Internal server error"}`, as API Gateway answers a failed invocation. */
function fail(
  ex: Exchange,
  config: LambdaConfig,
  error: Error,
  reason: LambdaErrorDetails['reason'],
): void {
  ex.gateway.integrationError = 'other';
  sendGatewayError(ex, 'integrationFailure');
  report(ex, config, error, reason);
}

/** Tells `onError`, once per failed invocation. Its own failure must not replace the answer sent. */
function report(
  ex: Exchange,
  config: LambdaConfig,
  error: Error,
  reason: LambdaErrorDetails['reason'],
): void {
  const details = { requestId: ex.gateway.requestId, functionName: config.functionName, reason };
  try {
    config.onError(error, details);
  } catch (failure) {
    console.error('portcullis.lambda: onError threw', failure);
  }
}
