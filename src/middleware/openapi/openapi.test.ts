import { describe, expect, it, vi } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { apiDocument } from '../../../test/support/openapi.js';
import { RawConnection } from '../../../test/support/raw-http.js';
import { type OpenApiOptions, openapi as openapiOf } from './index.js';

/** The documents below say only what each test needs; `apiDocument` adds what OpenAPI requires. */
const openapi = (document: Record<string, unknown>, options?: OpenApiOptions) =>
  openapiOf(apiDocument(document), options);

import type { UnsupportedReport } from './options.js';

/** A mock integration answering `body` as JSON, with a static header. */
function mock(body: unknown, status = 200) {
  return {
    'x-amazon-apigateway-integration': {
      type: 'mock',
      requestTemplates: { 'application/json': `{"statusCode": ${status}}` },
      responses: {
        default: {
          statusCode: String(status),
          responseParameters: { 'method.response.header.X-Mock': "'yes'" },
          responseTemplates: { 'application/json': JSON.stringify(body) },
        },
      },
    },
  };
}

/** Routes that say which resource answered. */
const ROUTES = {
  openapi: '3.0.1',
  paths: {
    '/pets': { get: mock({ route: 'pets' }) },
    '/pets/mine': { get: mock({ route: 'mine' }) },
    '/pets/{id}': { get: mock({ route: 'pet' }), delete: mock({ route: 'delete' }) },
    '/pets/{id}/toys': { get: mock({ route: 'toys' }) },
    '/files/{path+}': { 'x-amazon-apigateway-any-method': mock({ route: 'files' }) },
    '/files/readme': { get: mock({ route: 'readme' }) },
    '/created': { post: mock({ ok: true }, 201) },
  },
};

const quiet = { onUnsupported: () => {} };

describeEachFramework('openapi() routing', (fw) => {
  const start = (options = {}) =>
    fw.start({
      use: [openapi(ROUTES, { ...quiet, ...options })],
      routes: [
        {
          method: 'GET',
          path: '/app',
          reply: (gateway) => ({ body: { app: (gateway as { stage?: string }).stage ?? null } }),
        },
      ],
    });

  it('prefers static segments to templates and templates to greedy paths', async () => {
    const app = await start();
    const route = async (path: string, method = 'GET') =>
      ((await app.request(path, { method })).json as { route?: string } | undefined)?.route;
    expect(await route('/pets')).toBe('pets');
    expect(await route('/pets/')).toBe('pets');
    expect(await route('/pets/mine')).toBe('mine');
    expect(await route('/pets/42')).toBe('pet');
    expect(await route('/pets/42', 'DELETE')).toBe('delete');
    expect(await route('/pets/42/toys')).toBe('toys');
    expect(await route('/files/readme')).toBe('readme');
    expect(await route('/files/readme', 'PUT')).toBe('files');
    expect(await route('/files/a/b/c')).toBe('files');
  });

  it('serves a mock with its status, mapped header and template', async () => {
    const app = await start();
    const res = await app.request('/created', { method: 'POST', body: '{}' });
    expect(res.status).toBe(201);
    expect(res.headers['x-mock']).toBe('yes');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json).toEqual({ ok: true });
  });

  it('gives the operation the decoded path parameters, the template and the stage', async () => {
    let seen: unknown;
    const app = await fw.start({
      use: [
        {
          express: (req: { gateway?: unknown }, _res: unknown, next: () => void) => {
            next();
            seen = req.gateway;
          },
          koa: async (ctx: { state: { gateway?: unknown } }, next: () => Promise<void>) => {
            await next();
            seen = ctx.state.gateway;
          },
        },
        openapi(
          { paths: { '/files/{path+}': { get: {} }, '/pets/{id}': { get: {} } } },
          { onUnsupported: () => {} },
        ),
      ],
      routes: [
        { method: 'GET', path: '/pets/:id' },
        { method: 'GET', path: '/files/*rest' },
      ],
    });
    await app.request('/pets/a%2Fb%20c');
    expect(seen).toMatchObject({
      pathParameters: { id: 'a/b c' },
      resourcePath: '/pets/{id}',
      stage: '$default',
      canary: false,
    });
  });

  it('answers 400 for a malformed escape, and never fills a variable with a dot segment', async () => {
    const app = await start({ unmatched: 'refuse' });
    const bad = await app.request('/pets/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ message: 'Bad Request' });
    // Raw: an HTTP client would resolve the dot segments before sending.
    for (const path of ['/pets/%2e%2e', '/pets/..', '/files/a/%2E%2E/b', '/files/a/../b']) {
      const connection = await RawConnection.open(app.url);
      connection.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      const res = await connection.response();
      connection.destroy();
      expect(res?.status, path).toBe(403);
    }
  });

  it('hands unmatched paths and methods to the app by default', async () => {
    const app = await start();
    expect((await app.request('/app')).json).toEqual({ app: null });
    expect((await app.request('/nowhere')).status).toBe(404);
    expect((await app.request('/pets', { method: 'POST' })).status).toBe(404);
    // HEAD is not GET, as in API Gateway.
    expect((await app.request('/pets', { method: 'HEAD' })).status).toBe(404);
  });

  it("answers API Gateway's 403 for unmatched paths and methods with unmatched: 'refuse'", async () => {
    const app = await start({ unmatched: 'refuse' });
    for (const [path, method] of [
      ['/app', 'GET'],
      ['/pets', 'POST'],
    ] as const) {
      const res = await app.request(path, { method });
      expect(res.status).toBe(403);
      expect(res.json).toEqual({ message: 'Missing Authentication Token' });
    }
  });
});

describe('openapi() start-up', () => {
  it('reports every unsupported part once, with its JSON pointer', () => {
    const reports: UnsupportedReport[] = [];
    openapi(
      {
        'x-amazon-apigateway-minimum-compression-size': 1024,
        'x-amazon-apigateway-typo': true,
        paths: {
          '/a/{b}': {
            get: {
              'x-amazon-apigateway-integration': {
                type: 'aws',
                uri: 'arn:aws:apigateway:us-east-1:dynamodb:action/PutItem',
              },
            },
            post: {
              'x-amazon-apigateway-integration': {
                type: 'http',
                uri: 'http://example.com/b',
                connectionType: 'VPC_LINK',
                requestTemplates: { 'application/json': '#set($x = 1)' },
              },
            },
          },
        },
      },
      { onUnsupported: (report) => reports.push(report) },
    );
    expect(reports).toHaveLength(1);
    expect(reports[0]!.source).toBe('<object>');
    expect(reports[0]!.items.map((item) => item.pointer)).toEqual([
      '/x-amazon-apigateway-minimum-compression-size',
      '/x-amazon-apigateway-typo',
      '/paths/~1a~1{b}/get/x-amazon-apigateway-integration/type',
      '/paths/~1a~1{b}/post/x-amazon-apigateway-integration/connectionType',
      '/paths/~1a~1{b}/post/x-amazon-apigateway-integration/requestTemplates/application~1json',
    ]);
  });

  it('throws instead with strict: true, and warns once by default', () => {
    const document = {
      paths: { '/a': { get: { 'x-amazon-apigateway-auth': { type: 'AWS_IAM' } } } },
    };
    expect(() => openapi(document, { strict: true })).toThrow(
      /\/paths\/~1a\/get\/x-amazon-apigateway-auth: unknown extension/,
    );
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      openapi(document);
      openapi(document);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/x-amazon-apigateway-auth/);
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses unknown options and bad values, naming them', () => {
    expect(() => openapi({}, { strictt: true } as never)).toThrow(/unknown option "strictt"/);
    expect(() => openapi({}, { unmatched: 'drop' } as never)).toThrow(/option "unmatched"/);
    expect(() => openapi({}, { stages: { dev: { canary: { percentTraffic: 101 } } } })).toThrow(
      /option "stages.dev.canary.percentTraffic"/,
    );
    expect(() => openapi({}, { lambdas: { f: 'no' } } as never)).toThrow(/option "lambdas.f"/);
  });

  it('fails on a malformed document with the pointer of what is wrong', () => {
    expect(() => openapi({ paths: { '/a/{b+}/c': { get: {} } } }, quiet)).toThrow(
      /\/paths\/~1a~1{b\+}~1c: a greedy path variable must be the last segment/,
    );
    expect(() =>
      openapi({ paths: { '/a/{b}': { get: {} }, '/a/{c}': { get: {} } } }, quiet),
    ).toThrow(/\/paths\/~1a~1{c}: "{c}" and "{b}" at the same place/);
    expect(() => openapi({ paths: { '/a': { get: 'x' } } }, quiet)).toThrow(
      /\/paths\/~1a\/get: must be an object/,
    );
  });
});
