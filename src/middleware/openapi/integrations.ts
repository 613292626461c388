/**
 * `x-amazon-apigateway-integration`, compiled per operation and stage: `mock`, `http_proxy` and
 * `http` (forwarded by `gateway.proxy`), `aws_proxy` (a Lambda handler in-process). What is not
 * run as written is reported with its pointer.
 */

import { sendGatewayError } from '../../core/errors.js';
import type { CoreHandler } from '../../core/exchange.js';
import { compileHttp } from './http-integration.js';
import type { IntegrationContext } from './integration-context.js';
import { compileMock } from './mock-integration.js';
import { childPointer } from './refs.js';
import { isObject } from './responses.js';

export type { IntegrationContext } from './integration-context.js';

/** The integration's handler, the last of the operation's pieces. */
export function compileIntegration(context: IntegrationContext): CoreHandler {
  const { integration, pointer, findings } = context;
  // Without an integration the operation's pieces run and the app's own route answers.
  if (integration === undefined) return (_ex, next) => next();
  if (!isObject(integration)) throw findings.error(pointer, 'must be an object');
  const type = String(integration.type ?? '').toLowerCase();
  switch (type) {
    case 'mock':
      return compileMock(integration, context);
    case 'http_proxy':
    case 'http':
      return compileHttp(integration, type, context);
    case 'aws_proxy':
      return context.lambda(integration, pointer);
    default:
      findings.add(
        childPointer(pointer, 'type'),
        `integration type ${JSON.stringify(integration.type)} is not supported`,
      );
      return failing;
  }
}

/** What an integration that cannot run answers: API Gateway's 500 for a broken integration. */
const failing: CoreHandler = (ex) =>
  sendGatewayError(ex, 'internalError', undefined, 'INTEGRATION_FAILURE');
