/**
 * Hostile requests against `openapi()`: what the upstream receives must stay inside the
 * integration's URI and carry no header, query or request that the document did not map.
 */

import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import {
  apiDocument,
  requestAuthorizerScheme,
  stageVersionMock,
} from '../../../test/support/openapi.js';
import {
  RawConnection,
  type RecordingUpstream,
  startRecordingUpstream,
} from '../../../test/support/raw-http.js';
import { type OpenApiOptions, openapi as openapiOf } from './index.js';

const openapi = (document: Record<string, unknown>, options?: OpenApiOptions) =>
  openapiOf(apiDocument(document), options);

let upstream: RecordingUpstream;
beforeAll(async () => {
  upstream = await startRecordingUpstream();
});
afterAll(() => upstream.close());
beforeEach(() => {
  upstream.requests.length = 0;
});

const quiet = { onUnsupported: () => {} };

function document(base: string) {
  const proxy = (uri: string, requestParameters?: Record<string, string>) => ({
    'x-amazon-apigateway-any-method': {
      'x-amazon-apigateway-integration': { type: 'http_proxy', uri, requestParameters },
    },
  });
  return {
    paths: {
      '/pets/{id}': proxy(`${base}/v1/pets/{id}`),
      '/files/{proxy+}': proxy(`${base}/store/{proxy}`),
      '/by-query': proxy(`${base}/v1/pets/{id}`, {
        'integration.request.path.id': 'method.request.querystring.id',
      }),
      '/echo-header': proxy(`${base}/v1/header`, {
        'integration.request.header.x-from-query': 'method.request.querystring.v',
      }),
      '/tagged': proxy(`${base}/v1/tagged`, {
        'integration.request.querystring.tag': 'method.request.header.x-tag',
      }),
      '/framing': proxy(`${base}/v1/framing`, {
        'integration.request.header.content-length': 'method.request.querystring.n',
        'integration.request.header.transfer-encoding': 'method.request.querystring.te',
        'integration.request.header.host': 'method.request.querystring.host',
        'integration.request.header.connection': 'method.request.querystring.c',
      }),
    },
  };
}

/** Sends `target` exactly as written and returns the status. */
async function rawStatus(url: string, target: string, method = 'GET'): Promise<number> {
  const connection = await RawConnection.open(url);
  try {
    connection.write(`${method} ${target} HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n`);
    const response = await connection.response(method);
    return response?.status ?? 0;
  } finally {
    connection.destroy();
  }
}

/** The upstream paths received, none of which may leave `base` or hold a dot segment. */
function expectInside(base: string): void {
  for (const { url } of upstream.requests) {
    const path = url.split('?')[0]!;
    expect(path.startsWith(base)).toBe(true);
    const segments = path.split('/').map((s) => decodeURIComponent(s).toLowerCase());
    expect(segments.filter((s) => s === '..' || s === '.')).toEqual([]);
  }
}

describeEachFramework('openapi() under attack', (fw) => {
  it('keeps an encoded path parameter inside its segment of the uri', async () => {
    const app = await fw.start({ use: [openapi(document(upstream.url), quiet)] });
    // 404: no resource, the request goes on to the app (a dot segment fills no variable); 400: the proxy refuses a `..` behind
    // an encoded separator, which some upstreams decode.
    const expected = {
      '..%2Fadmin': 400,
      '%2e%2e': 404,
      '..%5Cadmin': 400,
      '%252e%252e': 200,
      '%3Fx%3D1': 200,
      '%23frag': 200,
    };
    for (const [id, status] of Object.entries(expected))
      expect(await rawStatus(app.url, `/pets/${id}`), id).toBe(status);
    expectInside('/v1/pets/');
    for (const { url } of upstream.requests) expect(url).not.toContain('?');
    const crlf = await rawStatus(app.url, '/pets/a%0d%0aX-Injected:%201');
    expect(crlf).toBe(200);
    expect(upstream.requests.at(-1)!.url).toBe('/v1/pets/a%0D%0AX-Injected%3A%201');
    expect(upstream.requests.at(-1)!.headers['x-injected']).toBeUndefined();
  });

  it('never lets a greedy parameter climb out of the uri with an encoded slash', async () => {
    const app = await fw.start({ use: [openapi(document(upstream.url), quiet)] });
    const expected = {
      '/files/..%2Fadmin': 400,
      '/files/a/..%2F..%2Fadmin': 400,
      '/files/a%2F..%2F..%2Fadmin': 400,
      '/files/%2e%2e%2fadmin': 400,
      '/files/a/.%2Fb': 400,
      '/files/a/%2E/b': 404,
    };
    for (const [path, status] of Object.entries(expected))
      expect(await rawStatus(app.url, path), path).toBe(status);
    expect(upstream.requests).toEqual([]);
    expect(await rawStatus(app.url, '/files/a/b%2Fc')).toBe(200);
    expect(await rawStatus(app.url, '/files/a%2F%2Fb')).toBe(200);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/store/a/b/c', '/store/a//b']);
  });

  it('refuses a mapped path variable that is a dot segment', async () => {
    const app = await fw.start({ use: [openapi(document(upstream.url), quiet)] });
    for (const id of ['..', '.', '%2e%2e', '%2E']) {
      const status = await rawStatus(app.url, `/by-query?id=${id}`);
      expect(status, id).toBe(400);
    }
    expect(upstream.requests).toEqual([]);
    expect(await rawStatus(app.url, '/by-query?id=a%2Fb')).toBe(200);
    expect(upstream.requests.at(-1)!.url).toBe('/v1/pets/a%2Fb?id=a%2Fb');
  });

  it('answers 400 to a mapped header value no HTTP header can carry, and stays up', async () => {
    const app = await fw.start({ use: [openapi(document(upstream.url), quiet)] });
    for (const v of ['a%0d%0aX-Injected:%201', '%E2%98%83', 'a%00b']) {
      const status = await rawStatus(app.url, `/echo-header?v=${v}`);
      expect(status, v).toBe(400);
    }
    expect(upstream.requests).toEqual([]);
    expect(await rawStatus(app.url, `/echo-header?v=${'x'.repeat(4000)}`)).toBe(200);
    expect(upstream.requests.at(-1)!.headers['x-from-query']).toBe('x'.repeat(4000));
  });

  it('keeps a mapped query value one parameter, whatever it holds', async () => {
    const app = await fw.start({ use: [openapi(document(upstream.url), quiet)] });
    const connection = await RawConnection.open(app.url);
    try {
      connection.write(
        'GET /tagged HTTP/1.1\r\nHost: api\r\nX-Tag: a&admin=1#x\r\nX-Tag: b\r\nConnection: close\r\n\r\n',
      );
      expect((await connection.response())?.status).toBe(200);
    } finally {
      connection.destroy();
    }
    expect(upstream.requests.map((r) => r.url)).toEqual(['/v1/tagged?tag=a%26admin%3D1%23x%2C+b']);
  });

  it('never maps a framing or hop-by-hop header (no request smuggling through a mapping)', async () => {
    const reports: string[] = [];
    const app = await fw.start({
      use: [
        openapi(document(upstream.url), { onUnsupported: (r) => reports.push(JSON.stringify(r)) }),
      ],
    });
    const connection = await RawConnection.open(app.url);
    try {
      const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
      const body = `${smuggled}`;
      connection.write(
        `POST /framing?n=0&te=chunked&host=evil&c=close HTTP/1.1\r\nHost: api\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      const response = await connection.response('POST');
      expect(response?.status).toBe(200);
    } finally {
      connection.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(upstream.requests.map((r) => r.url)).toEqual([
      '/v1/framing?n=0&te=chunked&host=evil&c=close',
    ]);
    const seen = upstream.requests[0]!;
    expect(seen.headers.host).not.toBe('evil');
    expect(seen.headers['transfer-encoding']).toBeUndefined();
    expect(seen.body).toBe('GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(reports.join('\n')).toMatch(/content-length/);
  });
});

describeEachFramework('openapi() stage cache across callers', (fw) => {
  const KEY_A = 'key-a-0123456789abcdef';
  const KEY_B = 'key-b-0123456789abcdef';
  const securitySchemes = {
    api_key: { type: 'apiKey', name: 'x-api-key', in: 'header' },
    custom: requestAuthorizerScheme('method.request.header.x-token', 0),
  };
  const toUpstream = (base: string) => ({
    'x-amazon-apigateway-integration': {
      type: 'http',
      uri: `${base}/who`,
      requestParameters: {
        'integration.request.header.x-principal': 'context.authorizer.principalId',
      },
      responses: { default: { statusCode: '200' } },
    },
  });
  const byToken = (event: unknown) => {
    const token = (event as { headers?: Record<string, string> }).headers?.['x-token'];
    return { principalId: `tenant-${token}`, allow: token === 'a' || token === 'b' };
  };
  const start = () =>
    fw.start({
      use: [
        openapi(
          {
            components: { securitySchemes },
            paths: {
              '/keyed': { get: { security: [{ api_key: [] }], ...toUpstream(upstream.url) } },
              '/custom': { get: { security: [{ custom: [] }], ...toUpstream(upstream.url) } },
            },
          },
          {
            ...quiet,
            usagePlans: {
              plans: { free: {} },
              keys: [
                { id: 'a', key: KEY_A, plan: 'free' },
                { id: 'b', key: KEY_B, plan: 'free' },
              ],
            },
            authorizers: { custom: byToken },
            stages: { prod: { cache: { ttl: 60 } } },
          },
        ),
      ],
    });

  it("never serves one authorizer identity the response stored for another's", async () => {
    const app = await start();
    const as = (token: string) => app.request('/prod/custom', { headers: { 'x-token': token } });
    expect((await as('a')).status).toBe(200);
    const b = await as('b');
    expect(b.status).toBe(200);
    expect(b.headers['cache-status']).not.toMatch(/hit/);
    expect(upstream.requests.map((r) => r.headers['x-principal'])).toEqual([
      'tenant-a',
      'tenant-b',
    ]);
    expect((await app.request('/prod/custom')).status).toBe(401);
    expect((await as('c')).status).toBe(403);
  });

  it('never serves a keyless caller what an API key holder got', async () => {
    const app = await start();
    expect((await app.request('/prod/keyed', { headers: { 'x-api-key': KEY_A } })).status).toBe(
      200,
    );
    expect((await app.request('/prod/keyed')).status).toBe(403);
    expect(
      (await app.request('/prod/keyed', { headers: { 'x-api-key': 'forged-0123456789abcdef' } }))
        .status,
    ).toBe(403);
  });
});

describeEachFramework('openapi() hostile requests to Lambda, methods and targets', (fw) => {
  const lambdaOf = (name: string) => ({
    'x-amazon-apigateway-integration': {
      type: 'aws_proxy',
      httpMethod: 'POST',
      uri: `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:${name}/invocations`,
    },
  });
  const start = () =>
    fw.start({
      use: [
        openapi(
          {
            paths: {
              '/': { get: lambdaOf('echo') },
              '/items/{id}': { 'x-amazon-apigateway-any-method': lambdaOf('echo') },
              '/split': { get: lambdaOf('split') },
              '/{proxy+}': { get: lambdaOf('echo') },
            },
            'x-amazon-apigateway-gateway-responses': {
              MISSING_AUTHENTICATION_TOKEN: {
                statusCode: 404,
                responseParameters: {
                  'gatewayresponse.header.x-asked': 'method.request.querystring.q',
                },
                responseTemplates: {
                  'application/json': '{"asked":"$method.request.querystring.q"}',
                },
              },
            },
          },
          {
            ...quiet,
            unmatched: 'refuse',
            lambdas: {
              echo: (event: Record<string, unknown>) => ({
                statusCode: 200,
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({
                  path: event.path,
                  httpMethod: event.httpMethod,
                  query: event.queryStringParameters,
                  pathParameters: event.pathParameters,
                }),
              }),
              split: () => ({
                statusCode: 200,
                headers: { 'x-split': 'a\r\nset-cookie: stolen=1' },
                multiValueHeaders: { 'x-multi': ['ok', 'b\r\nx-injected: 1'] },
                body: 'split',
              }),
            },
          },
        ),
      ],
    });

  it("keeps hostile query keys as the event's own fields and pollutes no prototype", async () => {
    const app = await start();
    const res = await app.request('/items/__proto__?__proto__=x&constructor=y&toString=z');
    expect(res.status).toBe(200);
    const event = res.json as Record<string, Record<string, string>>;
    expect(event.pathParameters).toEqual({ id: '__proto__' });
    expect(Object.entries(event.query!)).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
      ['toString', 'z'],
    ]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.prototype.toString.call({})).toBe('[object Object]');
  });

  it('answers 502 to a Lambda result header no HTTP header can carry, injecting nothing', async () => {
    const app = await start();
    const res = await app.request('/split');
    expect(res.status).toBe(502);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['x-injected']).toBeUndefined();
    expect((await app.request('/items/1')).status).toBe(200);
  });

  it('routes odd methods, targets and paths to a documented status, never a crash', async () => {
    const app = await start();
    // A method the resource lacks; one Node does not parse; the asterisk and absolute forms.
    expect(await rawStatus(app.url, '/split', 'PROPFIND')).toBe(404);
    expect(await rawStatus(app.url, '/items/1', 'PROPFIND')).toBe(200);
    expect(await rawStatus(app.url, '/split', 'get')).toBe(400);
    expect(await rawStatus(app.url, '*', 'OPTIONS')).toBe(404);
    expect(await rawStatus(app.url, '*'), 'GET *').toBe(404);
    expect(await rawStatus(app.url, 'xitems/1'), 'xitems').toBe(400);
    expect(await rawStatus(app.url, 'http://other.example/items/1')).toBe(200);
    // Ten thousand segments and thousands of escapes: answered, in time.
    const started = performance.now();
    expect(await rawStatus(app.url, `/items${'/a'.repeat(7000)}`)).toBe(200);
    expect(await rawStatus(app.url, `/items/${'%41'.repeat(4000)}`)).toBe(200);
    expect(await rawStatus(app.url, '/items/%E0%A4%A')).toBe(400);
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await app.request('/items/1')).status).toBe(200);
  });

  it('inserts a request value into a gateway response body as API Gateway does: raw', async () => {
    const app = await start();
    const res = await app.request('/split?q=a%22,%22admin%22:true,%22x%22:%22', {
      method: 'DELETE',
    });
    expect(res.status).toBe(404);
    expect(res.body).toBe('{"asked":"a","admin":true,"x":""}');
  });

  it('puts no request value into a gateway response header that breaks it', async () => {
    const app = await start();
    const res = await app.request('/split?q=a%0d%0aset-cookie:%20stolen%3D1', { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(res.headers['set-cookie']).toBeUndefined();
  });
});

describeEachFramework('openapi() stages under attack', (fw) => {
  const whoServes = stageVersionMock;
  const start = () =>
    fw.start({
      use: [
        openapi(
          { paths: { '/pets': { get: whoServes }, '/{proxy+}': { get: whoServes } } },
          {
            ...quiet,
            stages: {
              prod: {
                variables: { version: 'stable' },
                canary: { percentTraffic: 10, variables: { version: 'canary' } },
              },
              dev: { variables: { version: 'dev' } },
            },
          },
        ),
      ],
    });

  it('serves a stage only at its exact, unencoded prefix', async () => {
    const app = await start();
    expect(await rawStatus(app.url, '/dev/pets')).toBe(200);
    for (const target of [
      '/dev%2Fpets',
      '/DEV/pets',
      '//dev/pets',
      '/%64ev/pets',
      '/dev/../prod/pets',
    ])
      expect(await rawStatus(app.url, target), target).toBe(404);
  });

  it('reads only a well-formed canary ticket from the cookie, whatever else it holds', async () => {
    const app = await start();
    const version = async (cookie: string) => {
      const res = await app.request('/prod/pets', { headers: { cookie } });
      expect(res.status).toBe(200);
      return [res.headers['x-version'], res.headers['set-cookie'] === undefined];
    };
    expect(await version('portcullis-canary=0')).toEqual(['canary', true]);
    expect(await version('portcullis-canary=9999')).toEqual(['stable', true]);
    for (const forged of ['-1', '1e3', '0x1', '99999', ' ', 'a'.repeat(6000)]) {
      const [, kept] = await version(`portcullis-canary=${forged}`);
      expect(kept, forged).toBe(false);
    }
    const many = Array.from({ length: 500 }, (_, i) => `c${i}=v`).join('; ');
    expect(await version(`${many}; portcullis-canary=0`)).toEqual(['canary', true]);
  });
});

it('reports, and does not apply, a response mapping to a framing header', () => {
  const reports: string[] = [];
  openapi(
    {
      paths: {
        '/r': {
          get: {
            'x-amazon-apigateway-integration': {
              type: 'http',
              uri: 'http://127.0.0.1:1/r',
              responses: {
                default: {
                  statusCode: '200',
                  responseParameters: {
                    'method.response.header.Transfer-Encoding': 'integration.response.header.x-te',
                    'method.response.header.x-kept': "'yes'",
                  },
                },
              },
            },
          },
        },
      },
    },
    { onUnsupported: (report) => reports.push(JSON.stringify(report)) },
  ).close?.();
  expect(reports.join('\n')).toMatch(/transfer-encoding frames the message/);
  expect(reports.join('\n')).not.toMatch(/x-kept/);
});
