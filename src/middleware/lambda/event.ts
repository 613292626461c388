/**
 * The event API Gateway's Lambda proxy integration sends, in payload format 1.0 (REST APIs) or
 * 2.0 (HTTP APIs), built from the request.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */

import { createHash } from 'node:crypto';
import type { Principal } from '../../core/context.js';
import type { Exchange } from '../../core/exchange.js';
import { clfTime } from '../access-log/record.js';
import { requestPath } from '../authorizer/event.js';
import type { LambdaConfig } from './options.js';
import {
  clientCertOf,
  domainNameOf,
  domainPrefixOf,
  type EventBody,
  eventBody,
  headerFields,
  queryLists,
  rawQueryOf,
  routeOf,
  setOwn,
  stageVariablesOf,
} from './request.js';
import type {
  LambdaEvent,
  LambdaEventAuthorizerV1,
  LambdaEventAuthorizerV2,
  LambdaEventV1,
  LambdaEventV2,
} from './types.js';

/** What both formats share, read once. */
interface RequestFacts {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  readonly stage: string;
  readonly requestId: string;
  readonly time: number;
  readonly domainName: string;
  readonly protocol: string;
  readonly sourceIp: string;
  readonly body: EventBody | null;
}

/** The event for this request in the configured payload format. */
export function buildEvent(ex: Exchange, config: LambdaConfig, bytes: Buffer): LambdaEvent {
  const facts: RequestFacts = {
    method: ex.method,
    path: requestPath(ex),
    rawQuery: rawQueryOf(ex.originalUrl),
    stage: ex.gateway.stage ?? '$default',
    requestId: ex.gateway.requestId,
    time: config.clock.now(),
    domainName: domainNameOf(ex),
    protocol: `HTTP/${ex.req.httpVersion}`,
    sourceIp: ex.ip,
    body: eventBody(bytes, ex.header('content-type'), config),
  };
  return config.version === '1.0' ? eventV1(ex, config, facts) : eventV2(ex, config, facts);
}

function eventV1(ex: Exchange, config: LambdaConfig, facts: RequestFacts): LambdaEventV1 {
  const route = routeOf(ex);
  const resource = route.template ?? facts.path;
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const field of headerFields(ex).values()) {
    // A repeated header's single value is its last one, as REST APIs give it.
    setOwn(headers, field.name, field.values[field.values.length - 1]!);
    setOwn(multiValueHeaders, field.name, field.values);
  }
  const query = queryLists(facts.rawQuery);
  let queryStringParameters: Record<string, string> | null = null;
  let multiValueQueryStringParameters: Record<string, string[]> | null = null;
  if (query !== null) {
    queryStringParameters = {};
    multiValueQueryStringParameters = {};
    for (const [name, values] of query) {
      setOwn(queryStringParameters, name, values[values.length - 1]!);
      setOwn(multiValueQueryStringParameters, name, values);
    }
  }
  const apiKey = ex.gateway.apiKey;
  const authorizer = authorizerV1(ex.gateway.principal);
  return {
    resource,
    path: facts.path,
    httpMethod: facts.method,
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters: route.parameters,
    stageVariables: stageVariablesOf(ex, config),
    requestContext: {
      accountId: config.accountId,
      apiId: config.apiId,
      ...(authorizer !== undefined && { authorizer }),
      domainName: facts.domainName,
      domainPrefix: domainPrefixOf(facts.domainName),
      extendedRequestId: facts.requestId,
      httpMethod: facts.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: apiKey === undefined ? null : apiKey.id,
        caller: null,
        clientCert: clientCertOf(ex),
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: facts.sourceIp,
        user: null,
        userAgent: ex.header('user-agent') ?? null,
        userArn: null,
      },
      path: facts.path,
      protocol: facts.protocol,
      requestId: facts.requestId,
      requestTime: clfTime(facts.time),
      requestTimeEpoch: facts.time,
      resourceId: resourceIdOf(resource),
      resourcePath: resource,
      stage: facts.stage,
    },
    body: facts.body === null ? null : facts.body.body,
    isBase64Encoded: facts.body?.isBase64Encoded ?? false,
  };
}

function eventV2(ex: Exchange, config: LambdaConfig, facts: RequestFacts): LambdaEventV2 {
  const route = routeOf(ex);
  const routeKey = route.template === null ? '$default' : `${facts.method} ${route.template}`;
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [lower, field] of headerFields(ex)) {
    if (lower === 'cookie') cookies = cookiesOf(field.values);
    else setOwn(headers, lower, field.values.join(','));
  }
  const query = queryLists(facts.rawQuery);
  let queryStringParameters: Record<string, string> | undefined;
  if (query !== null) {
    queryStringParameters = {};
    for (const [name, values] of query) setOwn(queryStringParameters, name, values.join(','));
  }
  const clientCert = clientCertOf(ex);
  const authorizer = authorizerV2(ex.gateway.principal);
  const stageVariables = stageVariablesOf(ex, config);
  // Absent parts are left out of a 2.0 event rather than null.
  return {
    version: '2.0',
    routeKey,
    rawPath: facts.path,
    rawQueryString: facts.rawQuery,
    ...(cookies !== undefined && cookies.length > 0 && { cookies }),
    headers,
    ...(queryStringParameters !== undefined && { queryStringParameters }),
    requestContext: {
      accountId: config.accountId,
      apiId: config.apiId,
      ...(clientCert !== null && { authentication: { clientCert } }),
      ...(authorizer !== undefined && { authorizer }),
      domainName: facts.domainName,
      domainPrefix: domainPrefixOf(facts.domainName),
      http: {
        method: facts.method,
        path: facts.path,
        protocol: facts.protocol,
        sourceIp: facts.sourceIp,
        userAgent: ex.header('user-agent') ?? '',
      },
      requestId: facts.requestId,
      routeKey,
      stage: facts.stage,
      time: clfTime(facts.time),
      timeEpoch: facts.time,
    },
    ...(route.parameters !== null && { pathParameters: route.parameters }),
    ...(stageVariables !== null && { stageVariables }),
    ...(facts.body !== null && { body: facts.body.body }),
    isBase64Encoded: facts.body?.isBase64Encoded ?? false,
  };
}

/** The `name=value` pairs of every `Cookie` field. */
function cookiesOf(values: readonly string[]): string[] {
  const cookies: string[] = [];
  for (const value of values) {
    for (const pair of value.split(';')) {
      const cookie = pair.trim();
      if (cookie !== '') cookies.push(cookie);
    }
  }
  return cookies;
}

/**
 * Payload 1.0's `requestContext.authorizer`, as REST APIs shape it: a Cognito user pool (JWT)
 * authorizer's `claims` (and `scopes`), a Lambda authorizer's context fields beside its
 * `principalId` and `integrationLatency`. REST APIs coerce those values to strings (`null`
 * stays `null`); absent when no authorizer ran.
 */
function authorizerV1(principal: Principal | undefined): LambdaEventAuthorizerV1 | undefined {
  if (principal === undefined) return undefined;
  if (principal.via === 'jwt')
    return { claims: stringValues(principal.claims), scopes: copyOf(principal.scopes) };
  // The authorizer's own latency is not known here: the authorizer middleware ran before.
  return { ...stringValues(principal.context), principalId: principal.id, integrationLatency: 0 };
}

/** A copy the handler may change (the context's list may be frozen), or null. */
function copyOf(scopes: readonly string[] | undefined): string[] | null {
  return scopes === undefined ? null : [...scopes];
}

/** Every value as text, as REST APIs pass authorizer values on (objects and arrays as JSON). */
function stringValues(
  values: Readonly<Record<string, unknown>> | undefined,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (values === undefined) return out;
  for (const [name, value] of Object.entries(values)) {
    const text =
      value === null || typeof value === 'string'
        ? value
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    setOwn(out, name, text);
  }
  return out;
}

/** Payload 2.0's `requestContext.authorizer`: `jwt: { claims, scopes }` or `lambda: context`. */
function authorizerV2(principal: Principal | undefined): LambdaEventAuthorizerV2 | undefined {
  if (principal === undefined) return undefined;
  if (principal.via === 'jwt')
    return { jwt: { claims: { ...principal.claims }, scopes: copyOf(principal.scopes) } };
  return { lambda: { ...principal.context } };
}

/**
 * A stable stand-in for API Gateway's resource id (an opaque 6-character id per resource), so
 * that a handler keying anything on it sees one value per resource.
 */
function resourceIdOf(resource: string): string {
  return createHash('sha256').update(resource).digest('hex').slice(0, 6);
}
