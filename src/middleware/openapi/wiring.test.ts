import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { apiDocument } from '../../../test/support/openapi.js';
import { openapi } from './index.js';

const LAMBDA_URI =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway's stage variable syntax.
  'arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:${stageVariables.fn}/invocations';

const lambdaIntegration = (payloadFormatVersion?: string) => ({
  'x-amazon-apigateway-integration': {
    type: 'aws_proxy',
    httpMethod: 'POST',
    uri: LAMBDA_URI,
    ...(payloadFormatVersion === undefined ? {} : { payloadFormatVersion }),
  },
});

const mock = {
  'x-amazon-apigateway-integration': {
    type: 'mock',
    requestTemplates: { 'application/json': '{"statusCode": 200}' },
    responses: { default: { statusCode: '200', responseTemplates: { 'text/plain': 'ok' } } },
  },
};

const DOCUMENT = apiDocument({
  'x-amazon-apigateway-request-validators': {
    all: { validateRequestBody: true, validateRequestParameters: true },
  },
  'x-amazon-apigateway-policy': {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*/*/admin',
      },
    ],
  },
  paths: {
    '/v1/pets/{id}': { get: lambdaIntegration() },
    '/v2/pets/{id}': { get: lambdaIntegration('2.0') },
    '/admin': { get: mock },
    '/orders': {
      post: {
        'x-amazon-apigateway-request-validator': 'all',
        parameters: [
          { name: 'x-tenant', in: 'header', required: true, schema: { type: 'string' } },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['item'],
                properties: { item: { type: 'string' } },
              },
            },
          },
        },
        ...mock,
      },
    },
  },
});

/** A Lambda proxy handler answering what it was called with. */
async function pets(event: Record<string, unknown>) {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      version: event.version ?? '1.0',
      pathParameters: event.pathParameters,
      stageVariables: event.stageVariables,
      resource: event.resource ?? event.routeKey,
    }),
  };
}

describeEachFramework('openapi() with validation, resource policy and Lambda', (fw) => {
  const start = () =>
    fw.start({
      use: [
        openapi(DOCUMENT, {
          stages: { prod: { variables: { fn: 'pets-prod' } } },
          lambdas: { 'pets-prod': pets },
        }),
      ],
    });

  it('calls the Lambda handler the uri names, in both payload formats', async () => {
    const app = await start();
    const v1 = await app.request('/prod/v1/pets/7');
    expect(v1.status).toBe(200);
    expect(v1.json).toEqual({
      version: '1.0',
      pathParameters: { id: '7' },
      stageVariables: { fn: 'pets-prod' },
      resource: '/v1/pets/{id}',
    });
    const v2 = await app.request('/prod/v2/pets/8');
    expect(v2.json).toMatchObject({ version: '2.0', pathParameters: { id: '8' } });
  });

  it("answers API Gateway's validation messages", async () => {
    const app = await start();
    const order = (tenant: string | undefined, body: string) =>
      app.request('/prod/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(tenant ? { 'x-tenant': tenant } : {}) },
        body,
      });
    const noHeader = await order(undefined, '{"item":"a"}');
    expect(noHeader.status).toBe(400);
    expect(noHeader.json).toEqual({ message: 'Missing required request parameters: [x-tenant]' });
    const badBody = await order('t1', '{}');
    expect(badBody.status).toBe(400);
    expect(badBody.json).toEqual({ message: 'Invalid request body' });
    const ok = await order('t1', '{"item":"a"}');
    expect(ok.status).toBe(200);
  });

  it('refuses what the resource policy denies, before anything else runs', async () => {
    const app = await start();
    const denied = await app.request('/prod/admin');
    expect(denied.status).toBe(403);
    expect(String((denied.json as { Message?: string }).Message)).toMatch(/not authorized/);
    expect((await app.request('/prod/v1/pets/1')).status).toBe(200);
  });
});

describe('openapi() documents and Lambda handlers at start-up', () => {
  it('reads a YAML document from a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
    const file = join(dir, 'api.yaml');
    writeFileSync(
      file,
      [
        'openapi: 3.0.1',
        'info: { title: t, version: "1" }',
        'paths:',
        '  /a:',
        '    get:',
        '      responses: { "200": { description: ok } }',
        '      x-amazon-apigateway-unknown: true',
      ].join('\n'),
    );
    const reports: unknown[] = [];
    openapi(file, { onUnsupported: (report) => reports.push(report) });
    expect(reports).toEqual([
      {
        source: file,
        items: [
          {
            pointer: '/paths/~1a/get/x-amazon-apigateway-unknown',
            message: 'unknown extension x-amazon-apigateway-unknown',
          },
        ],
      },
    ]);
  });

  it('names the function without a handler and where the document asks for it', () => {
    expect(() => openapi(DOCUMENT, { stages: { prod: { variables: { fn: 'gone' } } } })).toThrow(
      /\/paths\/~1v1~1pets~1{id}\/get\/x-amazon-apigateway-integration\/uri: no handler for the Lambda function "arn:aws:lambda:eu-west-1:123456789012:function:gone"/,
    );
  });
});
