/**
 * What issue 27 names and no other test drove over HTTP: a TOKEN authorizer, API keys from the
 * authorizer, Lambda handlers by ARN and alias, binary media types on the Lambda event, the
 * `context.*` mapping sources, the order of the API key and quota before validation, and the
 * canary as the operation sees it.
 */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { apiDocument, requestAuthorizerScheme } from '../../../test/support/openapi.js';
import { startEchoUpstream, type Upstream } from '../../../test/support/upstream.js';
import type { AuthorizerEvent } from '../authorizer/index.js';
import { type OpenApiOptions, openapi as openapiOf } from './index.js';

/** The documents below say only what each test needs; `apiDocument` adds what OpenAPI requires. */
const openapi = (document: Record<string, unknown>, options?: OpenApiOptions) =>
  openapiOf(apiDocument(document), { onUnsupported: () => {}, ...options });

const KEY = 'alice-key-0123456789abcdef';

const mock = {
  'x-amazon-apigateway-integration': {
    type: 'mock',
    requestTemplates: { 'application/json': '{"statusCode": 200}' },
    responses: { default: { statusCode: '200', responseTemplates: { 'text/plain': 'ok' } } },
  },
};

const lambdaAt = (functionArn: string, payloadFormatVersion = '1.0') => ({
  'x-amazon-apigateway-integration': {
    type: 'aws_proxy',
    httpMethod: 'POST',
    uri: `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
    payloadFormatVersion,
  },
});

const FN = 'arn:aws:lambda:eu-west-1:123456789012:function';

/** A Lambda handler answering its name and the body it was given. */
const answering = (name: string) => async (event: Record<string, unknown>) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ name, body: event.body, isBase64Encoded: event.isBase64Encoded }),
});

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startEchoUpstream();
});
afterAll(() => upstream.close());

describeEachFramework('openapi() audit: a TOKEN authorizer', (fw) => {
  it('reads the token from its identity source, checks the expression, caches the answer', async () => {
    const seen: AuthorizerEvent[] = [];
    const app = await fw.start({
      use: [
        openapi(
          {
            components: {
              securitySchemes: {
                tok: {
                  type: 'apiKey',
                  name: 'Authorization',
                  in: 'header',
                  'x-amazon-apigateway-authtype': 'custom',
                  'x-amazon-apigateway-authorizer': {
                    type: 'token',
                    identitySource: 'method.request.header.Authorization',
                    identityValidationExpression: 'Bearer [a-z]+',
                    authorizerResultTtlInSeconds: 300,
                  },
                },
              },
            },
            paths: { '/tok': { get: { security: [{ tok: [] }], ...mock } } },
          },
          {
            authorizers: {
              tok: (event) => {
                seen.push(event);
                const token = (event as { authorizationToken?: string }).authorizationToken;
                return { principalId: 'u1', allow: token === 'Bearer good' };
              },
            },
          },
        ),
      ],
    });
    const as = (authorization?: string) =>
      app.request('/tok', authorization === undefined ? {} : { headers: { authorization } });
    expect((await as()).status).toBe(401);
    // The validation expression refuses before the function runs.
    expect((await as('Bearer NOT-LOWER')).status).toBe(401);
    expect(seen).toHaveLength(0);
    expect((await as('Bearer good')).status).toBe(200);
    expect((await as('Bearer good')).status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: 'TOKEN', authorizationToken: 'Bearer good' });
    expect((seen[0] as { methodArn: string }).methodArn).toMatch(/\/\$default\/GET\/tok$/);
    const denied = await as('Bearer evil');
    expect(denied.status).toBe(403);
    expect(seen).toHaveLength(2);
  });
});

describeEachFramework('openapi() audit: x-amazon-apigateway-api-key-source AUTHORIZER', (fw) => {
  it("takes the usage-plan key from the authorizer's answer, never from the client", async () => {
    const app = await fw.start({
      use: [
        openapi(
          {
            'x-amazon-apigateway-api-key-source': 'AUTHORIZER',
            components: {
              securitySchemes: {
                api_key: { type: 'apiKey', name: 'x-api-key', in: 'header' },
                tenant: requestAuthorizerScheme('method.request.header.x-tenant', 0),
              },
            },
            paths: { '/t': { get: { security: [{ api_key: [], tenant: [] }], ...mock } } },
          },
          {
            usagePlans: {
              plans: { free: { quota: { limit: 1, period: 'day' } } },
              keys: [{ id: 'alice', key: KEY, plan: 'free' }],
            },
            authorizers: {
              tenant: (event) => {
                const tenant = (event as { headers?: Record<string, string> }).headers?.[
                  'x-tenant'
                ];
                return {
                  principalId: String(tenant),
                  allow: true,
                  ...(tenant === 'alice' ? { usageIdentifierKey: KEY } : {}),
                };
              },
            },
          },
        ),
      ],
    });
    // The authorizer admits bob but names no key: the client's own x-api-key does not count.
    const bob = await app.request('/t', { headers: { 'x-tenant': 'bob', 'x-api-key': KEY } });
    expect(bob.status).toBe(403);
    expect(bob.json).toEqual({ message: 'Forbidden' });
    expect((await app.request('/t', { headers: { 'x-tenant': 'alice' } })).status).toBe(200);
    // alice's key has a quota of one request: the authorizer's key was charged.
    const over = await app.request('/t', { headers: { 'x-tenant': 'alice' } });
    expect(over.status).toBe(429);
    expect(over.json).toEqual({ message: 'Limit Exceeded' });
  });
});

describeEachFramework('openapi() audit: Lambda proxy integrations', (fw) => {
  const start = () =>
    fw.start({
      use: [
        openapi(
          {
            'x-amazon-apigateway-binary-media-types': ['image/png'],
            paths: {
              '/by-arn': { post: lambdaAt(`${FN}:byArn`) },
              '/alias': { post: lambdaAt(`${FN}:pets:live`) },
              '/plain': { post: lambdaAt(`${FN}:pets`) },
              '/v2': { post: lambdaAt(`${FN}:pets`, '2.0') },
            },
          },
          {
            lambdas: {
              [`${FN}:byArn`]: answering('by ARN'),
              'pets:live': answering('pets:live'),
              pets: answering('pets'),
            },
          },
        ),
      ],
    });

  it('finds the handler by function ARN, then name:alias, then name', async () => {
    const app = await start();
    const name = async (path: string) =>
      ((await app.request(path, { method: 'POST', body: 'x' })).json as { name: string }).name;
    expect(await name('/by-arn')).toBe('by ARN');
    expect(await name('/alias')).toBe('pets:live');
    expect(await name('/plain')).toBe('pets');
  });

  it('sends a body of a binary media type base64-encoded, and text as it is', async () => {
    const app = await start();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe]);
    for (const path of ['/plain', '/v2']) {
      const binary = await app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: png,
      });
      expect(binary.json, path).toEqual({
        name: 'pets',
        body: png.toString('base64'),
        isBase64Encoded: true,
      });
      const text = await app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'héllo',
      });
      expect(text.json, path).toEqual({ name: 'pets', body: 'héllo', isBase64Encoded: false });
    }
  });
});

describeEachFramework("openapi() audit: a Lambda integration's timeoutInMillis", (fw) => {
  it('answers 504 when the handler takes longer, and serves a quick one', async () => {
    const slow = {
      'x-amazon-apigateway-integration': {
        ...lambdaAt(`${FN}:slow`)['x-amazon-apigateway-integration'],
        timeoutInMillis: 100,
      },
    };
    const app = await fw.start({
      use: [
        openapi(
          { paths: { '/slow': { get: slow } } },
          {
            lambdas: {
              slow: async (event: { queryStringParameters?: { ms?: string } | null }) => {
                const ms = Number(event.queryStringParameters?.ms ?? 0);
                await new Promise((resolve) => setTimeout(resolve, ms));
                return { statusCode: 200, body: 'done' };
              },
            },
          },
        ),
      ],
    });
    const late = await app.request('/slow?ms=1000');
    expect([late.status, late.json]).toEqual([504, { message: 'Endpoint request timed out' }]);
    const quick = await app.request('/slow?ms=0');
    expect([quick.status, quick.body]).toEqual([200, 'done']);
  });
});

describeEachFramework('openapi() audit: request mappings from the context', (fw) => {
  it('maps context.stage, identity.sourceIp, httpMethod, resourcePath and authorizer values', async () => {
    const app = await fw.start({
      use: [
        openapi(
          {
            components: {
              securitySchemes: { custom: requestAuthorizerScheme('method.request.header.x-t', 0) },
            },
            paths: {
              '/mapped/{id}': {
                get: {
                  security: [{ custom: [] }],
                  'x-amazon-apigateway-integration': {
                    type: 'http',
                    httpMethod: 'GET',
                    uri: `${upstream.url}/echo/{id}`,
                    requestParameters: {
                      'integration.request.header.x-stage': 'context.stage',
                      'integration.request.header.x-ip': 'context.identity.sourceIp',
                      'integration.request.header.x-method': 'context.httpMethod',
                      'integration.request.header.x-resource': 'context.resourcePath',
                      'integration.request.header.x-tenant': 'context.authorizer.tenant',
                      'integration.request.header.x-principal': 'context.authorizer.principalId',
                      'integration.request.header.x-colour': 'stageVariables.colour',
                      'integration.request.querystring.q': 'method.request.querystring.q',
                    },
                  },
                },
              },
            },
          },
          {
            stages: { prod: { variables: { colour: 'blue' } } },
            authorizers: {
              custom: () => ({ principalId: 'p-7', allow: true, context: { tenant: 't9' } }),
            },
          },
        ),
      ],
    });
    const res = await app.request('/prod/mapped/42?q=1&other=2', { headers: { 'x-t': 'a' } });
    expect(res.status).toBe(200);
    const echo = res.json as { url: string; headers: Record<string, string> };
    expect(echo.url).toBe('/echo/42?q=1');
    expect(echo.headers).toMatchObject({
      'x-stage': 'prod',
      'x-ip': '127.0.0.1',
      'x-method': 'GET',
      'x-resource': '/mapped/{id}',
      'x-tenant': 't9',
      'x-principal': 'p-7',
      'x-colour': 'blue',
    });
    expect(echo.headers['x-t']).toBeUndefined();
  });
});

describeEachFramework("openapi() audit: API Gateway's order around validation", (fw) => {
  it('checks the key before the body, and charges the quota before validating', async () => {
    const app = await fw.start({
      use: [
        openapi(
          {
            'x-amazon-apigateway-request-validators': {
              all: { validateRequestBody: true, validateRequestParameters: true },
            },
            components: {
              securitySchemes: { api_key: { type: 'apiKey', name: 'x-api-key', in: 'header' } },
            },
            paths: {
              '/orders': {
                post: {
                  security: [{ api_key: [] }],
                  'x-amazon-apigateway-request-validator': 'all',
                  requestBody: {
                    required: true,
                    content: {
                      'application/json': {
                        schema: { type: 'object', required: ['item'] },
                      },
                    },
                  },
                  ...mock,
                },
              },
            },
          },
          {
            usagePlans: {
              plans: { free: { quota: { limit: 1, period: 'day' } } },
              keys: [{ id: 'alice', key: KEY, plan: 'free' }],
            },
          },
        ),
      ],
    });
    const post = (body: string, key?: string) =>
      app.request('/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
        body,
      });
    const keyless = await post('{}');
    expect([keyless.status, keyless.json]).toEqual([403, { message: 'Forbidden' }]);
    const invalid = await post('{}', KEY);
    expect([invalid.status, invalid.json]).toEqual([400, { message: 'Invalid request body' }]);
    // Throttle and quota come before validation: the invalid request used the quota of one.
    const valid = await post('{"item":"a"}', KEY);
    expect([valid.status, valid.json]).toEqual([429, { message: 'Limit Exceeded' }]);
  });
});

describeEachFramework('openapi() audit: the canary as the operation sees it', (fw) => {
  it('says which side served: the stage, canary true or false, and its variables', async () => {
    let seen: Record<string, unknown> = {};
    const app = await fw.start({
      use: [
        openapi(
          { paths: { '/who': { get: {} } } },
          {
            stages: {
              prod: {
                variables: { version: 'stable', colour: 'blue' },
                canary: { percentTraffic: 10, variables: { version: 'next' } },
              },
            },
          },
        ),
      ],
      routes: [
        {
          method: 'GET',
          path: '/prod/who',
          reply: (gateway) => {
            const { stage, canary, stageVariables } = gateway as Record<string, unknown>;
            seen = { stage, canary, stageVariables };
            return { body: 'ok' };
          },
        },
      ],
    });
    const ticket = (n: number) => ({ headers: { cookie: `portcullis-canary=${n}` } });
    expect((await app.request('/prod/who', ticket(0))).status).toBe(200);
    expect(seen).toEqual({
      stage: 'prod',
      canary: true,
      stageVariables: { version: 'next', colour: 'blue' },
    });
    // Tickets run from 0 to 9999: 10 % is below 1000.
    expect((await app.request('/prod/who', ticket(999))).status).toBe(200);
    expect(seen).toMatchObject({ canary: true });
    expect((await app.request('/prod/who', ticket(1000))).status).toBe(200);
    expect(seen).toEqual({
      stage: 'prod',
      canary: false,
      stageVariables: { version: 'stable', colour: 'blue' },
    });
  });
});

describe('openapi() audit: the example export', () => {
  it('runs every extension petstore.yaml uses: nothing reported, strict mode starts', async () => {
    const dir = resolve(import.meta.dirname, '../../../examples/openapi');
    const example = (await import(pathToFileURL(resolve(dir, 'options.mjs')).href)) as {
      default: OpenApiOptions;
      backend: import('node:http').Server;
    };
    try {
      const reports: unknown[] = [];
      openapiOf(resolve(dir, 'petstore.yaml'), {
        ...example.default,
        onUnsupported: (report) => reports.push(report),
      }).close();
      expect(reports).toEqual([]);
      openapiOf(resolve(dir, 'petstore.yaml'), { ...example.default, strict: true }).close();
    } finally {
      example.backend.close();
    }
  });
});

describe('openapi() audit: bad options of the pieces it builds', () => {
  const keyed = apiDocument({
    components: {
      securitySchemes: { api_key: { type: 'apiKey', name: 'x-api-key', in: 'header' } },
    },
    paths: { '/a': { get: { security: [{ api_key: [] }], ...mock } } },
  });
  const start = (options: OpenApiOptions) => () =>
    openapiOf(keyed, {
      onUnsupported: () => {},
      usagePlans: { plans: { free: {} } },
      ...options,
    }).close();

  it('name the stage and the option, keeping their class', () => {
    const rate = start({ stages: { dev: {}, prod: { throttle: { rate: -1 } } } });
    expect(rate).toThrow(RangeError);
    expect(rate).toThrow(
      /^portcullis\.openapi: option "stages\.prod\.throttle\.rate" must be a number of tokens/,
    );
    expect(start({ stages: { dev: { throttle: { rat: 1 } as never } } })).toThrow(
      /^portcullis\.openapi: unknown option "stages\.dev\.throttle\.rat"/,
    );
    const ttl = start({ stages: { prod: { cache: { ttl: 99999 } } } });
    expect(ttl).toThrow(RangeError);
    expect(ttl).toThrow(/^portcullis\.openapi: option "stages\.prod\.cache\.ttl" must be/);
    expect(start({ stages: { prod: { cache: -5 } } })).toThrow(
      /^portcullis\.openapi: option "stages\.prod\.cache\.ttl" must be/,
    );
  });

  it('refuse a stage cache or throttle of the wrong kind', () => {
    expect(start({ stages: { prod: { cache: '300' as never } } })).toThrow(
      /^portcullis\.openapi: option "stages\.prod\.cache" must be true, a TTL in seconds or cache options, got "300"/,
    );
    expect(start({ stages: { prod: { throttle: 100 as never } } })).toThrow(
      /^portcullis\.openapi: option "stages\.prod\.throttle" must be throttle options, got 100/,
    );
  });

  it('name usagePlans options as openapi() takes them', () => {
    const limit = start({
      usagePlans: { plans: { free: { quota: { limit: -1, period: 'day' } } } },
    });
    expect(limit).toThrow(RangeError);
    expect(limit).toThrow(
      /^portcullis\.openapi: option "usagePlans\.plans\.free\.quota\.limit" must be/,
    );
  });
});

describe('openapi() audit: passthroughBehavior', () => {
  const reported = (type: string, passthroughBehavior: string) => {
    const items: string[] = [];
    openapiOf(
      apiDocument({
        paths: {
          '/a': {
            post: {
              'x-amazon-apigateway-integration': {
                type,
                uri: 'http://127.0.0.1:9/a',
                passthroughBehavior,
              },
            },
          },
        },
      }),
      {
        onUnsupported: (report) =>
          items.push(...report.items.map((item) => `${item.pointer}: ${item.message}`)),
      },
    ).close();
    return items;
  };

  it('reports NEVER on an http integration, where API Gateway answers 415 without a template', () => {
    for (const never of ['NEVER', 'never'])
      expect(reported('http', never)).toEqual([
        expect.stringMatching(
          /^\/paths\/~1a\/post\/x-amazon-apigateway-integration\/passthroughBehavior: .*415/,
        ),
      ]);
    expect(reported('http', 'WHEN_NO_MATCH')).toEqual([]);
    // A proxy integration passes the body through whatever it says, as API Gateway does.
    expect(reported('http_proxy', 'NEVER')).toEqual([]);
  });
});

describe('openapi() audit: options by security scheme name', () => {
  const document = apiDocument({
    components: {
      securitySchemes: {
        // An HTTP API's JWT authorizer; a cognito_user_pools one is checked alike.
        pool: {
          type: 'oauth2',
          flows: {},
          'x-amazon-apigateway-authorizer': {
            type: 'jwt',
            jwtConfiguration: { issuer: 'https://auth.example/', audience: ['api'] },
          },
        },
        custom: requestAuthorizerScheme('method.request.header.x-token', 0),
      },
    },
    paths: { '/a': { get: { security: [{ pool: [] }], ...mock } } },
  });
  const start = (options: OpenApiOptions) => () =>
    openapiOf(document, {
      onUnsupported: () => {},
      authorizers: { custom: () => ({ principalId: 'p', allow: true }) },
      ...options,
    }).close();

  it('refuse a jwt override or an authorizer function for a scheme the document lacks', () => {
    expect(start({ jwt: { pool: { jwksUri: 'http://127.0.0.1:9/jwks' } } })).not.toThrow();
    // A typo must not leave the document's issuer JWKS in place of the local one.
    expect(start({ jwt: { pol: { jwksUri: 'http://127.0.0.1:9/jwks' } } })).toThrow(
      /^portcullis\.openapi: option "jwt\.pol" must name a jwt or cognito_user_pools security scheme of the document \(pool\)/,
    );
    expect(start({ jwt: { custom: {} } })).toThrow(/option "jwt\.custom" must name a jwt/);
    expect(
      start({
        authorizers: {
          custom: () => ({ principalId: 'p', allow: true }),
          cutsom: () => ({ principalId: 'p', allow: true }),
        },
      }),
    ).toThrow(
      /^portcullis\.openapi: option "authorizers\.cutsom" must name a token or request security scheme of the document \(custom\)/,
    );
  });
});
