/** `gateway.resourcePolicy(policy)`: an API Gateway resource policy (`x-amazon-apigateway-policy`). */

import { createMiddleware } from '../../adapters/universal.js';
import { sendPrepared } from '../../core/errors.js';
import type { Exchange } from '../../core/exchange.js';
import type { Verdict } from '../../core/iam-policy.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import { parseClientAddress } from '../ip-filter/addresses.js';
import { unslashedPath } from '../usage-plans/routes.js';
import { evaluatePolicy, type RequestResource } from './evaluate.js';
import {
  type ResourcePolicyConfig,
  type ResourcePolicyOptions,
  resolveResourcePolicyOptions,
} from './options.js';
import { resolvedPath, stagePath } from './paths.js';
import type { ResourcePolicyDocument } from './types.js';

/**
 * Admits or refuses each request as API Gateway's resource policy would for an anonymous caller:
 * statements allow or deny `execute-api:Invoke` on `arn:aws:execute-api:{region}:{account}:
 * {apiId}/{stage}/{METHOD}/{path}` (or `execute-api:/{stage}/{METHOD}/{path}`), with `*`/`?`
 * wildcards, under conditions on the source IP (`aws:SourceIp`, the address `throttle` and
 * `ipFilter` read, honouring the app's trust-proxy setting) and on headers (`aws:SourceVpce`,
 * `aws:SourceVpc`, `aws:Referer`, `aws:UserAgent`). An explicit Deny wins; without a matching
 * Allow the request is implicitly denied. A refusal is 403
 * `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: …"}`
 * (`… with an explicit deny` for a Deny), response type `ACCESS_DENIED`.
 *
 * The policy is compiled at start-up; anything it cannot evaluate as written (an unknown
 * operator or key, a malformed statement) throws naming the statement.
 *
 * @example
 * app.use(gateway.resourcePolicy({
 *   Version: '2012-10-17',
 *   Statement: [
 *     { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
 *     { Effect: 'Deny', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*',
 *       Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] } } },
 *   ],
 * }));
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
 */
export function resourcePolicy(
  policy: ResourcePolicyDocument | string,
  options: ResourcePolicyOptions = {},
): GatewayMiddleware {
  const config = resolveResourcePolicyOptions(policy, options);
  const leads = new LeadCache(config.policy.apiId, config.stage);
  return createMiddleware('resourcePolicy', function resourcePolicy(ex, next) {
    const verdict = verdictFor(ex, config, leads);
    if (verdict !== 'allow') return refuse(ex, config, verdict);
    return next();
  });
}

/**
 * `{apiId}/{stage}/` per stage, built once: stages are the few the app configures
 * (`gateway.openapi()`'s), bounded here all the same.
 */
class LeadCache {
  private readonly leads = new Map<string, string>();
  /** The lead of the `stage` option: a request whose context names no stage needs no lookup. */
  readonly fallback: string;
  constructor(
    private readonly apiId: string,
    stage: string,
  ) {
    this.fallback = `${apiId}/${stage}/`;
  }

  get(stage: string | undefined): string {
    if (stage === undefined) return this.fallback;
    let lead = this.leads.get(stage);
    if (lead === undefined) {
      lead = `${this.apiId}/${stage}/`;
      if (this.leads.size < 64) this.leads.set(stage, lead);
    }
    return lead;
  }
}

/** Reused for every request: evaluation is synchronous, so one request uses it at a time. */
const scratch: RequestResource = {
  lead: '',
  method: '',
  head: false,
  raw: '',
  resolved: undefined,
  foldCase: false,
};

function verdictFor(ex: Exchange, config: ResourcePolicyConfig, leads: LeadCache): Verdict {
  const { policy } = config;
  let address: ReturnType<typeof parseClientAddress>;
  if (policy.needsAddress) {
    // An address that is not one (garbage in a trusted X-Forwarded-For) satisfies no condition
    // on it, IpAddress or NotIpAddress: refused rather than guessed.
    address = parseClientAddress(ex.ip);
    if (address === undefined) return 'implicitDeny';
  }
  const stage = ex.gateway.stage;
  const relative = stagePath(ex.path, stage, config.foldCase);
  const resolved = resolvedPath(relative);
  scratch.lead = leads.get(stage);
  scratch.method = ex.method;
  scratch.head = scratch.method === 'HEAD';
  scratch.raw = unslashedPath(relative, config.routing);
  scratch.resolved =
    resolved === relative
      ? scratch.raw
      : resolved === undefined
        ? undefined
        : unslashedPath(resolved, config.routing);
  scratch.foldCase = config.foldCase;
  return evaluatePolicy(policy, ex, address, scratch);
}

/** The 403 API Gateway sends, naming the request's ARN (its account id masked). */
function refuse(ex: Exchange, config: ResourcePolicyConfig, verdict: Verdict): void {
  if (config.fixedBody) {
    sendPrepared(ex, config.refusal);
    return;
  }
  const stage = ex.gateway.stage ?? config.stage;
  const path = stagePath(ex.path, ex.gateway.stage, config.foldCase);
  const message =
    `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ` +
    `${config.arnHead}${stage}/${ex.method}${path}` +
    (verdict === 'explicitDeny' ? ' with an explicit deny' : '');
  const { refusal } = config;
  sendPrepared(ex, {
    status: refusal.status,
    headers: refusal.headers,
    // API Gateway's own capital `Message`, unlike its other responses.
    body: Buffer.from(JSON.stringify({ Message: message }), 'utf8'),
    error: { responseType: refusal.error.responseType, message },
  });
}
