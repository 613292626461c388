import { bodyParser } from '@koa/bodyparser';
import express5 from 'express';
import express4 from 'express4';
import { describe, expect, it, vi } from 'vitest';
import { makeTestCertificates } from '../../../test/support/certificates.js';
import type { TestApp } from '../../../test/support/frameworks.js';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { RawConnection } from '../../../test/support/raw-http.js';
import { startWithRoute } from '../../../test/support/router.js';
import { createMiddleware } from '../../adapters/universal.js';
import type { GatewayContext } from '../../core/context.js';
import { clientCert } from '../client-cert/index.js';
import { lambda } from './index.js';
import type { LambdaContext, LambdaEventV1, LambdaEventV2 } from './types.js';

/** A handler that answers the event it got, so that a test reads it field by field. */
const echo = async (event: unknown) => ({ statusCode: 200, body: JSON.stringify(event) });

const certs = makeTestCertificates();
/** A mutual-TLS server (API Gateway's custom domain) and a client presenting its certificate. */
const mtls = { cert: certs.server.cert, key: certs.server.key, ca: certs.ca, requestCert: true };
const asClient = { tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key } };

const T0 = Date.UTC(2026, 0, 5, 8, 30, 15, 250);

/** POSTs `body` (with `type` as its Content-Type, when given) and returns the event the handler saw. */
async function postedEvent<E>(
  app: TestApp,
  path: string,
  type: string | undefined,
  body: string | Buffer,
): Promise<E> {
  const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type };
  return (await app.request(path, { method: 'POST', headers, body })).json as E;
}

/**
 * GETs each target over a raw connection, so that a `#` reaches the server as written (clients
 * drop a fragment; Node's parser lets it through), and returns the events the handler saw.
 */
async function rawEvents<E>(app: TestApp, targets: readonly string[]): Promise<E[]> {
  const conn = await RawConnection.open(app.url);
  const events: E[] = [];
  for (const target of targets) {
    conn.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
    events.push(JSON.parse((await conn.response())?.body ?? 'null'));
  }
  conn.destroy();
  return events;
}

/** A portcullis piece that sets what `gateway.openapi()` sets for a matched operation. */
function matchedOperation(fields: Partial<GatewayContext>) {
  return createMiddleware('matchedOperation', (ex, next) => {
    Object.assign(ex.gateway, fields);
    return next();
  });
}

describe('lambda() options', () => {
  it('throws at start-up naming the option', () => {
    expect(() => lambda('nope' as never)).toThrow(/handler must be a function/);
    expect(() => lambda(echo, { payloadFormatVersion: '3.0' as never })).toThrow(
      /option "payloadFormatVersion" must be '1.0' or '2.0', got "3.0"/,
    );
    expect(() => lambda(echo, { timeout: 0 })).toThrow(/option "timeout"/);
    expect(() => lambda(echo, { timeout: 1.5 })).toThrow(RangeError);
    expect(() => lambda(echo, { bodyLimit: -1 })).toThrow(/option "bodyLimit"/);
    expect(() => lambda(echo, { binaryMediaTypes: 'image/png' as never })).toThrow(
      /option "binaryMediaTypes" must be an array/,
    );
    expect(() => lambda(echo, { binaryMediaTypes: ['image/png', 'png'] })).toThrow(
      /option "binaryMediaTypes\[1\]"/,
    );
    expect(() => lambda(echo, { functionName: 'a:b' })).toThrow(/option "functionName"/);
    expect(() => lambda(echo, { region: '' })).toThrow(/option "region"/);
    expect(() => lambda(echo, { stageVariables: { a: 1 as never } })).toThrow(
      /option "stageVariables.a" must be a string/,
    );
    expect(() => lambda(echo, { onError: 'log' as never })).toThrow(/option "onError"/);
    expect(() => lambda(echo, { timout: 5 } as never)).toThrow(/unknown option "timout"/);
  });

  it('does not mutate the options it is given', () => {
    const options = Object.freeze({
      binaryMediaTypes: Object.freeze(['Image/*']),
      stageVariables: Object.freeze({ a: 'b' }),
    });
    expect(() => lambda(echo, options)).not.toThrow();
    expect(options.binaryMediaTypes).toEqual(['Image/*']);
  });
});

describeEachFramework('lambda() payload format 1.0', (fw) => {
  const express = fw.kind === 'express';

  it('hands the handler the REST API event: route, headers, query, context', async () => {
    const clock = manualClock(T0);
    const app = await startWithRoute(fw, 'GET', '/pets/:id', lambda(echo, { clock }));
    const res = await app.request('/pets/42?a=1&a=2&b=x%20y', {
      headers: { 'X-Multi': ['one', 'two'], 'User-Agent': 'spec/1.0' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const event = res.json as LambdaEventV1;
    expect(event.resource).toBe('/pets/{id}');
    expect(event.path).toBe('/pets/42');
    expect(event.httpMethod).toBe('GET');
    // Names as the client spelled them; the single value is the last one.
    expect(event.headers['X-Multi']).toBe('two');
    expect(event.multiValueHeaders['X-Multi']).toEqual(['one', 'two']);
    expect(event.headers['User-Agent']).toBe('spec/1.0');
    expect(event.queryStringParameters).toEqual({ a: '2', b: 'x y' });
    expect(event.multiValueQueryStringParameters).toEqual({ a: ['1', '2'], b: ['x y'] });
    expect(event.pathParameters).toEqual({ id: '42' });
    expect(event.stageVariables).toBeNull();
    expect(event.body).toBeNull();
    expect(event.isBase64Encoded).toBe(false);
    const context = event.requestContext;
    expect(context).toMatchObject({
      accountId: '000000000000',
      apiId: 'portcullis',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      httpMethod: 'GET',
      path: '/pets/42',
      protocol: 'HTTP/1.1',
      requestId: res.headers['x-request-id'],
      extendedRequestId: res.headers['x-request-id'],
      requestTime: '05/Jan/2026:08:30:15 +0000',
      requestTimeEpoch: T0,
      resourcePath: '/pets/{id}',
      stage: '$default',
    });
    expect(context.resourceId).toMatch(/^[0-9a-f]{6}$/);
    expect(context).not.toHaveProperty('authorizer');
    expect(context.identity).toMatchObject({
      sourceIp: '127.0.0.1',
      userAgent: 'spec/1.0',
      clientCert: null,
      apiKeyId: null,
      cognitoIdentityId: null,
    });
  });

  it('gives null, not {}, for an absent query, path parameters and stage variables', async () => {
    // Mounted without a route: the resource is the path, and no parameters are known.
    const app = await fw.start({ use: [lambda(echo)] });
    const event = (await app.request('/plain/path')).json as LambdaEventV1;
    expect(event.resource).toBe('/plain/path');
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
    expect(event.pathParameters).toBeNull();
    expect(event.stageVariables).toBeNull();
    expect(event.requestContext).not.toHaveProperty('authorizer');
    // A lone `?` is no query either.
    const bare = (await app.request('/plain/path?')).json as LambdaEventV1;
    expect(bare.queryStringParameters).toBeNull();
  });

  it('reads the route, stage and stage variables gateway.openapi() set, before the router', async () => {
    const operation = matchedOperation({
      resourcePath: '/items/{itemId}',
      pathParameters: Object.freeze({ itemId: 'a b' }),
      stage: 'prod',
      stageVariables: Object.freeze({ table: 'items-prod' }),
    });
    // A handler may change its event, as in Lambda, whatever the context froze.
    const mutating = async (event: LambdaEventV1) => {
      const seen = JSON.stringify(event);
      (event.pathParameters as Record<string, string>).itemId = 'changed';
      (event.stageVariables as Record<string, string>).table = 'changed';
      return { statusCode: 200, body: seen };
    };
    const app = await startWithRoute(
      fw,
      'GET',
      '/items/:other',
      lambda(mutating, { stageVariables: { table: 'ignored' } }),
      { use: [operation] },
    );
    const event = (await app.request('/items/a%20b')).json as LambdaEventV1;
    expect(event.resource).toBe('/items/{itemId}');
    expect(event.path).toBe('/items/a%20b');
    expect(event.pathParameters).toEqual({ itemId: 'a b' });
    expect(event.stageVariables).toEqual({ table: 'items-prod' });
    expect(event.requestContext.stage).toBe('prod');
  });

  it('passes the stageVariables option when no stage set any', async () => {
    const app = await fw.start({ use: [lambda(echo, { stageVariables: { env: 'dev' } })] });
    const event = (await app.request('/x')).json as LambdaEventV1;
    expect(event.stageVariables).toEqual({ env: 'dev' });
  });

  it('decodes path parameters the router decoded, and keeps the path as sent', async () => {
    const app = await startWithRoute(fw, 'GET', '/files/:name', lambda(echo));
    const event = (await app.request('/files/a%2Fb%20c')).json as LambdaEventV1;
    expect(event.path).toBe('/files/a%2Fb%20c');
    expect(event.pathParameters).toEqual({ name: 'a/b c' });
  });

  // path-to-regexp 8's named wildcard (Express 5, @koa/router 15); Express 4 has no such syntax.
  it.skipIf(fw.name === 'express4')(
    'turns a named wildcard into a greedy {name+} parameter',
    async () => {
      const app = await startWithRoute(fw, 'GET', '/files/*rest', lambda(echo));
      const event = (await app.request('/files/a/b%20c.txt')).json as LambdaEventV1;
      expect(event.resource).toBe('/files/{rest+}');
      expect(event.pathParameters).toEqual({ rest: 'a/b c.txt' });
    },
  );

  it('sends a body as text unless its type is one of binaryMediaTypes, then as base64', async () => {
    const app = await startWithRoute(
      fw,
      'POST',
      '/upload',
      lambda(echo, { binaryMediaTypes: ['image/*', 'application/pdf'] }),
    );
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
    const image = await postedEvent<LambdaEventV1>(app, '/upload', 'image/png', bytes);
    expect(image.isBase64Encoded).toBe(true);
    expect(Buffer.from(image.body!, 'base64').equals(bytes)).toBe(true);
    const text = await postedEvent(app, '/upload', 'text/plain; charset=utf-8', 'héllo');
    expect(text).toMatchObject({ body: 'héllo', isBase64Encoded: false });
  });

  it("'*/*' makes every body base64, one without a type too", async () => {
    const app = await startWithRoute(fw, 'POST', '/u', lambda(echo, { binaryMediaTypes: ['*/*'] }));
    const event = await postedEvent(app, '/u', undefined, 'abc');
    expect(event).toMatchObject({ body: 'YWJj', isBase64Encoded: true });
  });

  it("puts a JWT's claims, or an authorizer's context, principalId and integrationLatency, under authorizer, as text", async () => {
    const claims = { sub: 'user-1', exp: 1767601815, email_verified: true, groups: ['a', 'b'] };
    const jwtApp = await fw.start({
      use: [
        matchedOperation({
          principal: { id: 'user-1', via: 'jwt', claims, scopes: ['read', 'write'] },
        }),
        lambda(echo),
      ],
    });
    const viaJwt = (await jwtApp.request('/x')).json as LambdaEventV1;
    // REST APIs coerce a Cognito authorizer's claims to strings.
    expect(viaJwt.requestContext.authorizer).toEqual({
      claims: { sub: 'user-1', exp: '1767601815', email_verified: 'true', groups: '["a","b"]' },
      scopes: ['read', 'write'],
    });
    const lambdaApp = await fw.start({
      use: [
        matchedOperation({
          principal: { id: 'p-7', via: 'authorizer', context: { tier: 'gold', n: 3, ok: false } },
        }),
        lambda(echo),
      ],
    });
    const viaAuthorizer = (await lambdaApp.request('/x')).json as LambdaEventV1;
    expect(viaAuthorizer.requestContext.authorizer).toEqual({
      tier: 'gold',
      n: '3',
      ok: 'false',
      principalId: 'p-7',
      integrationLatency: 0,
    });
  });

  it('puts the verified client certificate, with its PEM, under identity.clientCert', async () => {
    const app = await fw.start({ tls: mtls, use: [clientCert(), lambda(echo)] });
    const event = (await app.request('/x', asClient)).json as LambdaEventV1;
    expect(event.requestContext.identity.clientCert).toEqual({
      clientCertPem: certs.client.x509.toString(),
      subjectDN: 'C=NO,O=Example Corp,OU=Payments,CN=client.example.com',
      issuerDN: 'O=Example Corp,CN=Example Test CA',
      serialNumber: '0a:1b:2c:3d',
      validity: { notBefore: certs.client.x509.validFrom, notAfter: certs.client.x509.validTo },
    });
  });

  it('keeps hostile names as plain data (__proto__ in the query and headers)', async () => {
    const app = await fw.start({ use: [lambda(echo)] });
    const res = await app.request('/x?__proto__=1&constructor=2&a=%zz', {
      headers: JSON.parse('{"__proto__":"h"}'),
    });
    expect(res.status).toBe(200);
    const event = res.json as LambdaEventV1;
    // JSON.parse: an object literal's `__proto__` would set the prototype, not a property.
    expect(event.queryStringParameters).toEqual(
      JSON.parse('{"__proto__":"1","constructor":"2","a":"%zz"}'),
    );
    expect(event.multiValueHeaders).toHaveProperty(['__proto__'], ['h']);
  });

  it('builds the event for an odd method and an absolute-form request target', async () => {
    const app = await fw.start({ use: [lambda(echo)] });
    const conn = await RawConnection.open(app.url);
    conn.write(
      'PROPFIND http://dav.example.com/dav/a%20b?depth=1 HTTP/1.1\r\nHost: dav.example.com:8443\r\n\r\n',
    );
    const res = await conn.response('PROPFIND');
    conn.destroy();
    expect(res?.status).toBe(200);
    const event = JSON.parse(res!.body) as LambdaEventV1;
    expect(event).toMatchObject({
      httpMethod: 'PROPFIND',
      path: '/dav/a%20b',
      queryStringParameters: { depth: '1' },
    });
    expect(event.requestContext).toMatchObject({
      domainName: 'dav.example.com',
      domainPrefix: 'dav',
    });
  });

  it('reads no query from a fragment, as the router does not (`/x#?a=1` is `/x`)', async () => {
    const app = await fw.start({ use: [lambda(echo)] });
    const events = await rawEvents<LambdaEventV1>(app, ['/x#?a=1', '/x?a=1#?b=2']);
    expect(events.map((e) => [e.path, e.queryStringParameters])).toEqual([
      ['/x', null],
      ['/x', { a: '1' }],
    ]);
    expect(events[0]!.multiValueQueryStringParameters).toBeNull();
  });

  it('still has the body when a body parser read it first', async () => {
    const parser = express
      ? { express: (fw.name === 'express4' ? express4 : express5).json() }
      : { koa: bodyParser() };
    const app = await startWithRoute(fw, 'POST', '/json', lambda(echo), { use: [parser] });
    const json = '{"name":"rex","age":3}';
    const event = await postedEvent<LambdaEventV1>(app, '/json', 'application/json', json);
    expect(JSON.parse(event.body!)).toEqual({ name: 'rex', age: 3 });
    expect(event.isBase64Encoded).toBe(false);
  });
});

describeEachFramework('lambda() after a body parser that kept nothing usable', (fw) => {
  // A JSON parser given a custom type leaves an object the gateway cannot turn back into that type.
  it.skipIf(fw.kind === 'koa')(
    'hands the error to the app instead of calling the handler',
    async () => {
      let calls = 0;
      const parser = (fw.name === 'express4' ? express4 : express5).json({
        type: 'application/vnd.pets',
      });
      const app = await startWithRoute(
        fw,
        'POST',
        '/p',
        lambda(async () => {
          calls++;
          return { statusCode: 200 };
        }),
        {
          use: [{ express: parser }],
          expressErrorHandler: true,
          expectsErrors: /cannot re-serialise/,
        },
      );
      const res = await app.request('/p', {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.pets' },
        body: '{"a":1}',
      });
      expect(res.status).toBe(500);
      expect(res.json).toMatchObject({ message: expect.stringMatching(/keep the raw body/) });
      expect(calls).toBe(0);
    },
  );
});

describeEachFramework('lambda() payload format 2.0', (fw) => {
  const v2 = (options = {}) => lambda(echo, { payloadFormatVersion: '2.0', ...options });

  it('hands the handler the HTTP API event: routeKey, raw path and query, cookies, joined values', async () => {
    const clock = manualClock(T0);
    const app = await startWithRoute(fw, 'GET', '/pets/:id', v2({ clock }));
    const res = await app.request('/pets/42?a=1&a=2&b=x%20y', {
      headers: {
        'X-Multi': ['one', 'two'],
        Cookie: 'session=abc; theme=dark',
        'User-Agent': 'spec/2.0',
      },
    });
    const event = res.json as LambdaEventV2;
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('GET /pets/{id}');
    expect(event.rawPath).toBe('/pets/42');
    expect(event.rawQueryString).toBe('a=1&a=2&b=x%20y');
    expect(event.cookies).toEqual(['session=abc', 'theme=dark']);
    expect(event.headers['x-multi']).toBe('one,two');
    expect(event.headers['user-agent']).toBe('spec/2.0');
    expect(event.headers).not.toHaveProperty('cookie');
    expect(event.headers).not.toHaveProperty('X-Multi');
    expect(event.queryStringParameters).toEqual({ a: '1,2', b: 'x y' });
    expect(event.pathParameters).toEqual({ id: '42' });
    expect(event).not.toHaveProperty('stageVariables');
    expect(event).not.toHaveProperty('body');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext).toEqual({
      accountId: '000000000000',
      apiId: 'portcullis',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: {
        method: 'GET',
        path: '/pets/42',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'spec/2.0',
      },
      requestId: res.headers['x-request-id'],
      routeKey: 'GET /pets/{id}',
      stage: '$default',
      time: '05/Jan/2026:08:30:15 +0000',
      timeEpoch: T0,
    });
  });

  it('reads no query from a fragment, as the router does not (`/x#?a=1` is `/x`)', async () => {
    const app = await fw.start({ use: [v2()] });
    const events = await rawEvents<LambdaEventV2>(app, ['/x#?a=1', '/x?a=1#?b=2']);
    expect(events.map((e) => [e.rawPath, e.rawQueryString, e.queryStringParameters])).toEqual([
      ['/x', '', undefined],
      ['/x', 'a=1', { a: '1' }],
    ]);
  });

  it('leaves out what the request does not have, and says $default without a route', async () => {
    const app = await fw.start({ use: [v2()] });
    const event = (await app.request('/any/where')).json as LambdaEventV2;
    expect(event.routeKey).toBe('$default');
    expect(event.rawQueryString).toBe('');
    for (const absent of [
      'cookies',
      'queryStringParameters',
      'pathParameters',
      'stageVariables',
      'body',
    ])
      expect(event).not.toHaveProperty(absent);
    expect(event.requestContext).not.toHaveProperty('authorizer');
    expect(event.requestContext).not.toHaveProperty('authentication');
  });

  it('sends JSON and text bodies as text, any other as base64 (HTTP APIs rule)', async () => {
    const app = await startWithRoute(fw, 'POST', '/b', v2());
    const send = (type: string | undefined, body: string | Buffer) =>
      postedEvent<LambdaEventV2>(app, '/b', type, body);
    expect(await send('application/json', '{"a":1}')).toMatchObject({
      body: '{"a":1}',
      isBase64Encoded: false,
    });
    expect(await send('text/csv', 'a,b')).toMatchObject({ body: 'a,b', isBase64Encoded: false });
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    const binary = await send('application/octet-stream', bytes);
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body!, 'base64').equals(bytes)).toBe(true);
    expect(await send('application/x-www-form-urlencoded', 'a=1')).toMatchObject({
      body: 'YT0x',
      isBase64Encoded: true,
    });
    expect(await send(undefined, 'raw')).toMatchObject({ body: 'cmF3', isBase64Encoded: true });
  });

  it('puts the verified client certificate under requestContext.authentication', async () => {
    const app = await fw.start({ tls: mtls, use: [clientCert(), v2()] });
    const event = (await app.request('/x', asClient)).json as LambdaEventV2;
    expect(event.requestContext.authentication?.clientCert).toMatchObject({
      clientCertPem: certs.client.x509.toString(),
      serialNumber: '0a:1b:2c:3d',
    });
  });

  it('puts JWT claims and scopes under authorizer.jwt, an authorizer context under authorizer.lambda', async () => {
    const claims = { sub: 'u', aud: 'api' };
    const jwtApp = await fw.start({
      use: [
        matchedOperation({ principal: { id: 'u', via: 'jwt', claims, scopes: ['read'] } }),
        v2(),
      ],
    });
    const viaJwt = (await jwtApp.request('/x')).json as LambdaEventV2;
    expect(viaJwt.requestContext.authorizer).toEqual({ jwt: { claims, scopes: ['read'] } });
    const lambdaApp = await fw.start({
      use: [
        matchedOperation({ principal: { id: 'p', via: 'authorizer', context: { org: 'acme' } } }),
        v2(),
      ],
    });
    const viaLambda = (await lambdaApp.request('/x')).json as LambdaEventV2;
    expect(viaLambda.requestContext.authorizer).toEqual({ lambda: { org: 'acme' } });
  });
});

describeEachFramework('lambda() handlers', (fw) => {
  it('gives the handler a Lambda context whose awsRequestId is the request id', async () => {
    const clock = manualClock(T0);
    let seen: LambdaContext | undefined;
    const handler = async (_event: unknown, context: LambdaContext) => {
      seen = context;
      clock.advance(1_000);
      return { statusCode: 200, body: String(context.getRemainingTimeInMillis()) };
    };
    const app = await fw.start({
      use: [
        lambda(handler, { clock, timeout: 5_000, region: 'eu-west-1', accountId: '123456789012' }),
      ],
    });
    const res = await app.request('/x');
    expect(res.body).toBe('4000');
    expect(seen).toMatchObject({
      awsRequestId: res.headers['x-request-id'],
      functionName: 'handler',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:handler',
      callbackWaitsForEmptyEventLoop: true,
      logGroupName: '/aws/lambda/handler',
    });
  });

  it('names the function after the handler, or functionName', async () => {
    const names: string[] = [];
    async function getPet(_event: unknown, context: LambdaContext) {
      names.push(context.functionName);
      return { statusCode: 204 };
    }
    const app = await fw.start({ use: [lambda(getPet)] });
    const named = await fw.start({ use: [lambda(getPet, { functionName: 'pets-get' })] });
    await app.request('/x');
    await named.request('/x');
    expect(names).toEqual(['getPet', 'pets-get']);
  });

  it('runs a callback-style handler, answering when it calls back', async () => {
    const handler = (
      _event: unknown,
      _context: LambdaContext,
      callback: (e: unknown, r?: unknown) => void,
    ) => {
      setTimeout(() => callback(null, { statusCode: 201, body: 'later' }), 5);
    };
    const app = await fw.start({ use: [lambda(handler)] });
    const res = await app.request('/x');
    expect(res.status).toBe(201);
    expect(res.body).toBe('later');
  });

  it('takes the result of context.succeed() and of an async handler that calls back', async () => {
    const succeeding = (_event: unknown, context: LambdaContext) => {
      context.succeed({ statusCode: 202, body: 'ok' });
    };
    const asyncWithCallback = async (
      _e: unknown,
      _c: LambdaContext,
      callback: (e: unknown, r?: unknown) => void,
    ) => {
      setTimeout(() => callback(null, { statusCode: 200, body: 'cb' }), 5);
    };
    const a = await fw.start({ use: [lambda(succeeding as never)] });
    const b = await fw.start({ use: [lambda(asyncWithCallback)] });
    expect(await a.request('/x')).toMatchObject({ status: 202, body: 'ok' });
    expect(await b.request('/x')).toMatchObject({ status: 200, body: 'cb' });
  });

  it('answers the AWS SAM "hello world" handler as API Gateway does', async () => {
    // sam init --runtime nodejs20.x (hello-world/app.mjs), unchanged.
    const lambdaHandler = async (_event: unknown, _context: unknown) => {
      try {
        return {
          statusCode: 200,
          body: JSON.stringify({ message: 'hello world' }),
        };
      } catch (err) {
        console.log(err);
        return err;
      }
    };
    const app = await startWithRoute(fw, 'GET', '/hello', lambda(lambdaHandler));
    const res = await app.request('/hello');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json).toEqual({ message: 'hello world' });
  });

  it('records the integration status and latency on the gateway context', async () => {
    const seen: GatewayContext[] = [];
    const observe = {
      // biome-ignore lint/suspicious/noExplicitAny: framework-specific observer
      express: (req: any, res: any, next: () => void) => {
        res.on('finish', () => seen.push(req.gateway));
        next();
      },
      // biome-ignore lint/suspicious/noExplicitAny: framework-specific observer
      koa: async (ctx: any, next: () => Promise<void>) => {
        await next();
        seen.push(ctx.state.gateway);
      },
    };
    const app = await fw.start({ use: [observe, lambda(async () => ({ statusCode: 418 }))] });
    expect((await app.request('/x')).status).toBe(418);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    expect(seen[0]).toMatchObject({ integrationStatus: 418 });
    expect(seen[0]!.integrationLatency).toBeGreaterThanOrEqual(0);
    expect(seen[0]!.error).toBeUndefined();
  });
});
