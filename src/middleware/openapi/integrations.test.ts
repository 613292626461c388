import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { apiDocument } from '../../../test/support/openapi.js';
import { RawConnection } from '../../../test/support/raw-http.js';
import { deadPort, startEchoUpstream, type Upstream } from '../../../test/support/upstream.js';
import { type OpenApiOptions, openapi as openapiOf } from './index.js';

/** The documents below say only what each test needs; `apiDocument` adds what OpenAPI requires. */
const openapi = (document: Record<string, unknown>, options?: OpenApiOptions) =>
  openapiOf(apiDocument(document), options);

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startEchoUpstream();
});
afterAll(() => upstream.close());

const quiet = { onUnsupported: () => {} };

/** The echo upstream's view of a forwarded request. */
interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
}

function document(base: string) {
  return {
    openapi: '3.0.1',
    paths: {
      '/pets/{id}': {
        get: {
          'x-amazon-apigateway-integration': {
            type: 'http_proxy',
            httpMethod: 'GET',
            uri: `${base}/v1/pets/{id}`,
          },
        },
      },
      '/files/{proxy+}': {
        'x-amazon-apigateway-any-method': {
          'x-amazon-apigateway-integration': {
            type: 'http_proxy',
            httpMethod: 'ANY',
            uri: `${base}/store/{proxy}`,
            requestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy' },
          },
        },
      },
      '/mapped/{id}': {
        post: {
          'x-amazon-apigateway-integration': {
            type: 'http',
            httpMethod: 'POST',
            uri: `${base}/status/{code}?fixed=1`,
            requestParameters: {
              'integration.request.path.code': 'method.request.querystring.want',
              'integration.request.header.x-pet': 'method.request.path.id',
              'integration.request.header.x-static': "'constant'",
              'integration.request.header.x-request': 'context.requestId',
              'integration.request.querystring.tag': 'method.request.header.x-tag',
            },
            responses: {
              '4\\d{2}': {
                statusCode: '400',
                responseParameters: { 'method.response.header.x-kind': "'client'" },
              },
              default: {
                statusCode: '200',
                responseParameters: {
                  'method.response.header.x-upstream-type':
                    'integration.response.header.content-type',
                },
              },
            },
          },
        },
      },
    },
  };
}

describeEachFramework('openapi() HTTP integrations', (fw) => {
  it('proxies with path parameters substituted into the uri and the query kept', async () => {
    const app = await fw.start({ use: [openapi(document(upstream.url), quiet)] });
    const res = await app.request('/pets/a%2Fb?x=1&y=2', { headers: { 'x-client': 'kept' } });
    expect(res.status).toBe(200);
    const echo = res.json as Echo;
    expect(echo.url).toBe('/v1/pets/a%2Fb?x=1&y=2');
    expect(echo.headers['x-client']).toBe('kept');
  });

  it('proxies a greedy path segment by segment, with any method', async () => {
    const app = await fw.start({ use: [openapi(document(upstream.url), quiet)] });
    const res = await app.request('/files/docs/a%20b.txt', { method: 'PUT', body: 'data' });
    const echo = res.json as Echo & { body: string };
    expect(echo.method).toBe('PUT');
    expect(echo.url).toBe('/store/docs/a%20b.txt');
    expect(echo.body).toBe('data');
  });

  it('maps request parameters and the response of a non-proxy integration', async () => {
    const app = await fw.start({ use: [openapi(document(upstream.url), quiet)] });
    const ok = await app.request('/mapped/7?want=201', {
      method: 'POST',
      headers: { 'x-tag': 'blue', 'x-client': 'dropped', 'x-request-id': 'req-1' },
      body: '{}',
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-upstream-type']).toMatch(/^application\/json/);
    const echo = ok.json as Echo;
    expect(echo.url).toBe('/status/201?fixed=1&tag=blue');
    expect(echo.headers['x-pet']).toBe('7');
    expect(echo.headers['x-static']).toBe('constant');
    expect(echo.headers['x-request']).toBe('req-1');
    expect(echo.headers['x-client']).toBeUndefined();
    const refused = await app.request('/mapped/7?want=404', { method: 'POST', body: '{}' });
    expect(refused.status).toBe(400);
    expect(refused.headers['x-kind']).toBe('client');
  });

  it('forwards and maps the query the router reads: a fragment is not part of it', async () => {
    const app = await fw.start({ use: [openapi(document(upstream.url), quiet)] });
    // Raw: clients drop a fragment; Node's parser lets `#` through to the router.
    const conn = await RawConnection.open(app.url);
    const send = async (head: string) => {
      conn.write(`${head} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`);
      const res = await conn.response();
      return res?.status === 200 ? (JSON.parse(res.body) as Echo).url : res?.status;
    };
    expect(await send('GET /pets/7#?x=1')).toBe('/v1/pets/7');
    expect(await send('GET /pets/7?x=1#f?y=2')).toBe('/v1/pets/7?x=1');
    expect(await send('POST /mapped/7?want=201#f')).toBe('/status/201?fixed=1');
    conn.destroy();
  });

  it("answers 504 past the integration's timeoutInMillis and 502 when the upstream is gone", async () => {
    const dead = await deadPort();
    const integration = (uri: string) => ({
      get: { 'x-amazon-apigateway-integration': { type: 'http_proxy', uri, timeoutInMillis: 100 } },
    });
    const doc = {
      paths: {
        '/slow': integration(`${upstream.url}/slow`),
        '/gone': integration(`${dead.url}/x`),
      },
    };
    const app = await fw.start({ use: [openapi(doc, quiet)] });
    const slow = await app.request('/slow?ms=2000');
    expect(slow.status).toBe(504);
    expect(slow.json).toEqual({ message: 'Endpoint request timed out' });
    const gone = await app.request('/gone');
    expect(gone.status).toBe(502);
  });

  it('routes each stage to its own upstream by stage variables', async () => {
    const other = await startEchoUpstream();
    try {
      const host = (url: string) => url.replace('http://', '');
      const doc = {
        paths: {
          '/who': {
            get: {
              'x-amazon-apigateway-integration': {
                type: 'http_proxy',
                // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway's stage variable syntax.
                uri: 'http://${stageVariables.backend}/${stageVariables.version}/who',
              },
            },
          },
        },
      };
      const app = await fw.start({
        use: [
          openapi(doc, {
            ...quiet,
            stages: {
              dev: { variables: { backend: host(upstream.url), version: 'v2' } },
              prod: { variables: { backend: host(other.url), version: 'v1' } },
            },
          }),
        ],
      });
      const before = upstream.hits.get('/v2/who') ?? 0;
      const dev = await app.request('/dev/who');
      const prod = await app.request('/prod/who');
      expect((dev.json as Echo).url).toBe('/v2/who');
      expect((prod.json as Echo).url).toBe('/v1/who');
      expect(other.hits.get('/v1/who')).toBe(1);
      expect(upstream.hits.get('/v2/who')).toBe(before + 1);
      expect((await app.request('/who')).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});
