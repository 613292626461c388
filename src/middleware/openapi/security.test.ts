import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { type JwksServer, mint, rsaKeys, startJwksServer } from '../../../test/support/jwt.js';
import { apiDocument, requestAuthorizerScheme } from '../../../test/support/openapi.js';
import { type OpenApiOptions, openapi as openapiOf } from './index.js';

/** The documents below say only what each test needs; `apiDocument` adds what OpenAPI requires. */
const openapi = (document: Record<string, unknown>, options?: OpenApiOptions) =>
  openapiOf(apiDocument(document), options);

const KEY = 'alice-key-0123456789abcdef';
const usagePlans = {
  plans: { free: { quota: { limit: 2, period: 'day' as const } } },
  keys: [{ id: 'alice', key: KEY, plan: 'free' }],
};

/** A mock answering the principal the operation saw. */
const echoPrincipal = {
  'x-amazon-apigateway-integration': {
    type: 'mock',
    requestTemplates: { 'application/json': '{"statusCode": 200}' },
    responses: { default: { statusCode: '200', responseTemplates: { 'text/plain': 'ok' } } },
  },
};

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool';

const DOCUMENT = {
  openapi: '3.0.1',
  components: {
    securitySchemes: {
      api_key: { type: 'apiKey', name: 'x-api-key', in: 'header' },
      pool: {
        type: 'apiKey',
        name: 'Authorization',
        in: 'header',
        'x-amazon-apigateway-authtype': 'cognito_user_pools',
        'x-amazon-apigateway-authorizer': {
          type: 'cognito_user_pools',
          providerARNs: ['arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Pool'],
        },
      },
      custom: requestAuthorizerScheme('method.request.header.x-token', 300),
    },
  },
  paths: {
    '/open': { get: echoPrincipal },
    '/keyed': { get: { security: [{ api_key: [] }], ...echoPrincipal } },
    '/pool': { get: { security: [{ pool: ['pets/read'] }], ...echoPrincipal } },
    '/custom': { get: { security: [{ custom: [] }], ...echoPrincipal } },
    '/app-owned': { get: { security: [{ api_key: [] }] } },
  },
};

let keys: ReturnType<typeof rsaKeys>;
let jwks: JwksServer;
beforeAll(async () => {
  keys = rsaKeys();
  jwks = await startJwksServer({ k1: keys.publicKey });
});
afterAll(() => jwks.close());

const token = (claims: Record<string, unknown>) =>
  mint(
    'RS256',
    keys.privateKey,
    { iss: ISSUER, sub: 'u1', exp: Math.floor(Date.now() / 1000) + 60, ...claims },
    { kid: 'k1' },
  );

describeEachFramework('openapi() security', (fw) => {
  let authorizerCalls = 0;
  const start = () =>
    fw.start({
      routes: [
        {
          method: 'GET',
          path: '/app-owned',
          reply: (gateway) => ({
            body: { key: (gateway as { apiKey?: { id: string } }).apiKey?.id },
          }),
        },
      ],
      use: [
        openapi(DOCUMENT, {
          usagePlans,
          jwt: { pool: { jwksUri: jwks.uri } },
          authorizers: {
            custom: (event) => {
              authorizerCalls++;
              const allow =
                (event as { headers?: Record<string, string> }).headers?.['x-token'] === 'good';
              return { principalId: 'svc', allow };
            },
          },
        }),
      ],
    });

  it('requires an API key only where the operation says so, and charges its quota', async () => {
    const app = await start();
    expect((await app.request('/open')).status).toBe(200);
    const keyless = await app.request('/keyed');
    expect(keyless.status).toBe(403);
    expect(keyless.json).toEqual({ message: 'Forbidden' });
    const asKey = { headers: { 'x-api-key': KEY } };
    expect((await app.request('/keyed', asKey)).status).toBe(200);
    expect((await app.request('/keyed', asKey)).status).toBe(200);
    const over = await app.request('/keyed', asKey);
    expect(over.status).toBe(429);
    expect(over.json).toEqual({ message: 'Limit Exceeded' });
  });

  it("runs an operation's pieces before the app's own route when it has no integration", async () => {
    const app = await start();
    expect((await app.request('/app-owned')).status).toBe(403);
    const res = await app.request('/app-owned', { headers: { 'x-api-key': KEY } });
    expect(res.json).toEqual({ key: 'alice' });
  });

  it("checks a Cognito user pool's tokens, with the operation's scopes", async () => {
    const app = await start();
    expect((await app.request('/pool')).status).toBe(401);
    const read = { headers: { authorization: `Bearer ${token({ scope: 'pets/read' })}` } };
    expect((await app.request('/pool', read)).status).toBe(200);
    const other = { headers: { authorization: `Bearer ${token({ scope: 'pets/write' })}` } };
    expect((await app.request('/pool', other)).status).toBe(403);
    const foreign = {
      headers: {
        authorization: `Bearer ${token({ iss: 'https://elsewhere', scope: 'pets/read' })}`,
      },
    };
    expect((await app.request('/pool', foreign)).status).toBe(401);
  });

  it('runs a request authorizer with its identity source and result cache', async () => {
    const app = await start();
    const before = authorizerCalls;
    expect((await app.request('/custom')).status).toBe(401);
    expect(authorizerCalls).toBe(before);
    expect((await app.request('/custom', { headers: { 'x-token': 'good' } })).status).toBe(200);
    expect((await app.request('/custom', { headers: { 'x-token': 'good' } })).status).toBe(200);
    expect(authorizerCalls).toBe(before + 1);
    expect((await app.request('/custom', { headers: { 'x-token': 'bad' } })).status).toBe(403);
  });
});

describeEachFramework('openapi() security under stages', (fw) => {
  it('gives a Lambda authorizer the method ARN API Gateway would: the stage once, the path after it', async () => {
    const arns: string[] = [];
    const app = await fw.start({
      use: [
        openapi(DOCUMENT, {
          usagePlans,
          jwt: { pool: { jwksUri: jwks.uri } },
          stages: { prod: {} },
          authorizers: {
            custom: (event) => {
              arns.push(String((event as { methodArn?: string }).methodArn));
              return {
                principalId: 'svc',
                policyDocument: {
                  Statement: {
                    Effect: 'Allow',
                    Action: 'execute-api:Invoke',
                    Resource: 'arn:aws:execute-api:local:000000000000:portcullis/prod/GET/custom',
                  },
                },
              };
            },
          },
        }),
      ],
    });
    const res = await app.request('/prod/custom', { headers: { 'x-token': 'any' } });
    expect(arns).toEqual(['arn:aws:execute-api:local:000000000000:portcullis/prod/GET/custom']);
    expect(res.status).toBe(200);
  });
});

describe('openapi() security at start-up', () => {
  it('names the scheme whose function or options are missing', () => {
    expect(() =>
      openapi(DOCUMENT, { usagePlans, jwt: { pool: { jwksUri: 'http://x/jwks' } } }),
    ).toThrow(
      /\/components\/securitySchemes\/custom\/x-amazon-apigateway-authorizer: security scheme "custom" needs its function in options.authorizers.custom/,
    );
    expect(() =>
      openapi(
        { ...DOCUMENT, paths: { '/keyed': DOCUMENT.paths['/keyed'] } },
        { onUnsupported: () => {} },
      ),
    ).toThrow(/security scheme "api_key" needs options.usagePlans/);
  });
});
