/**
 * `aws_proxy` integrations: the Lambda handler the integration's `uri` names, from
 * `options.lambdas` (by function ARN, `name:alias` or name), run in-process by `gateway.lambda`.
 */

import type { CoreHandler } from '../../core/exchange.js';
import { coreHandlerOf } from '../../core/middleware.js';
import { lambda } from '../lambda/index.js';
import { withStageVariables } from './mappings.js';
import type { OpenApiConfig } from './options.js';
import { childPointer } from './refs.js';
import type { Findings } from './report.js';
import type { Variant } from './stages.js';

/** `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{functionArn}/invocations`. */
const INVOCATION =
  /^arn:[\w-]+:apigateway:[\w-]*:lambda:path\/[\d-]+\/functions\/(.+)\/invocations$/;
/** `arn:aws:lambda:{region}:{account}:function:{name}[:{alias}]`. */
const FUNCTION = /^arn:[\w-]+:lambda:[\w-]*:\d*:function:([^:]+)(?::([^:]+))?$/;

export class LambdaIntegrations {
  private readonly built = new Map<string, CoreHandler>();
  private readonly binaryMediaTypes: readonly string[];

  constructor(
    document: Record<string, unknown>,
    private readonly config: OpenApiConfig,
    private readonly findings: Findings,
  ) {
    const types = document['x-amazon-apigateway-binary-media-types'];
    this.binaryMediaTypes = Array.isArray(types) ? types.map(String) : [];
  }

  /** The handler of one `aws_proxy` integration, for one variant (stage variables in its `uri`). */
  handlerFor(integration: Record<string, unknown>, pointer: string, variant: Variant): CoreHandler {
    const at = childPointer(pointer, 'uri');
    if (typeof integration.uri !== 'string') throw this.findings.error(at, 'must be a string');
    const uri = withStageVariables(
      integration.uri,
      variant.variables,
      variant.stage,
      at,
      this.findings,
    );
    const functionArn = INVOCATION.exec(uri)?.[1] ?? uri;
    const [name, handler] = this.lookup(functionArn, at);
    const version = integration.payloadFormatVersion ?? '1.0';
    if (version !== '1.0' && version !== '2.0')
      throw this.findings.error(
        childPointer(pointer, 'payloadFormatVersion'),
        'must be "1.0" or "2.0"',
      );
    const timeout =
      typeof integration.timeoutInMillis === 'number' ? integration.timeoutInMillis : undefined;
    const key = `${functionArn}\n${version}\n${timeout}`;
    let built = this.built.get(key);
    if (built === undefined) {
      const { region, accountId, apiId, bodyLimit } = this.config;
      built = coreHandlerOf(
        lambda(handler as never, {
          payloadFormatVersion: version,
          binaryMediaTypes: this.binaryMediaTypes,
          functionName: name,
          bodyLimit,
          region,
          accountId,
          apiId,
          ...(timeout === undefined ? {} : { timeout }),
        }),
      )!;
      this.built.set(key, built);
    }
    return built;
  }

  /** The handler for a function ARN (or a bare name), and the function's name. */
  private lookup(functionArn: string, pointer: string): [string, unknown] {
    const parts = FUNCTION.exec(functionArn);
    const name = parts?.[1] ?? functionArn;
    const candidates = [functionArn, parts?.[2] === undefined ? name : `${name}:${parts[2]}`, name];
    for (const candidate of candidates) {
      const handler = this.config.lambdas[candidate];
      if (handler !== undefined) return [name, handler];
    }
    throw this.findings.error(
      pointer,
      `no handler for the Lambda function "${functionArn}" in options.lambdas (by ARN or name: "${name}")`,
    );
  }
}
