/**
 * API Gateway's request validators over HTTP, in every framework: the validator runs where
 * `gateway.openapi()` runs it (after routing set the path parameters), a route behind it
 * echoes what it received.
 */

import { fileURLToPath } from 'node:url';
import { bodyParser } from '@koa/bodyparser';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachFramework, type Framework } from '../../../test/support/frameworks.js';
import { RawConnection } from '../../../test/support/raw-http.js';
import {
  type EchoReply,
  startEchoUpstream,
  type Upstream,
} from '../../../test/support/upstream.js';
import { createMiddleware } from '../../adapters/universal.js';
import type { CoreHandler } from '../../core/exchange.js';
import { proxy } from '../proxy/index.js';
import { loadOpenApiDocument } from './document.js';
import { childPointer } from './refs.js';
import {
  compileRequestValidator,
  mergeParameters,
  type RequestValidatorSpec,
  selectValidator,
} from './validation.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/validation.yaml', import.meta.url));
const { document } = loadOpenApiDocument(FIXTURE);

type Json = Record<string, unknown>;

/** The validator for one operation of the fixture, compiled the way `gateway.openapi()` does. */
function validatorFor(
  path: string,
  method: string,
  extra: Partial<RequestValidatorSpec> = {},
): CoreHandler {
  const pathPointer = childPointer('/paths', path);
  const pathItem = (document.paths as Record<string, Json>)[path]!;
  const operation = pathItem[method] as Json;
  const pointer = childPointer(pathPointer, method);
  const flags = selectValidator(document, operation, pointer)!;
  const handler = compileRequestValidator({
    document,
    pointer,
    parameters: mergeParameters(document, pathItem, pathPointer, operation, pointer),
    requestBody: operation.requestBody,
    ...flags,
    ...extra,
  });
  if (handler === undefined) throw new Error(`nothing to validate for ${method} ${path}`);
  return handler;
}

/** Stands in for the router: `/pets/{id}` sets `id` (an empty segment sets nothing). */
function routed(validator: CoreHandler) {
  return createMiddleware('validationUnderTest', (ex, next) => {
    const match = /^\/pets\/([^/]+)$/.exec(ex.path);
    ex.gateway.pathParameters = match === null ? {} : { id: match[1]! };
    return validator(ex, next);
  });
}

const expressOf = (fw: Framework) => (fw.name === 'express4' ? express4 : express5);

/** The framework's JSON body parser. */
function jsonParser(fw: Framework) {
  return fw.kind === 'koa' ? { koa: bodyParser() } : { express: expressOf(fw).json() };
}

// biome-ignore lint/suspicious/noExplicitAny: framework request objects
type Any = any;

/** A route answering what the app's body parser left: `{ received }`. */
function echoRoute(method: string, path: string) {
  return {
    method,
    path,
    express: (req: Any, res: Any) => res.json({ received: req.body ?? null }),
    koa: (ctx: Any) => {
      ctx.body = { received: ctx.request.body ?? null };
    },
  };
}

const PET = { name: 'Rex', kind: 'dog' };
const GOOD_HEADERS = { 'content-type': 'application/json', 'x-client': 'test', 'x-trace': 't1' };

function put(body: unknown, headers: Record<string, string> = GOOD_HEADERS) {
  return {
    method: 'PUT',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

const INVALID_BODY = { message: 'Invalid request body' };
const missing = (names: string) => ({ message: `Missing required request parameters: [${names}]` });

describeEachFramework('openapi request validation', (fw) => {
  describe('required parameters (presence only, as API Gateway checks them)', () => {
    const start = () =>
      fw.start({
        use: [routed(validatorFor('/pets/{id}', 'put'))],
        routes: [{ method: 'PUT', path: '/pets/7' }],
      });

    it('lets a request with every required parameter through', async () => {
      const app = await start();
      const res = await app.request('/pets/7?version=1', put(PET));
      expect(res.status).toBe(200);
    });

    it('answers 400 naming a missing query string parameter', async () => {
      const app = await start();
      const res = await app.request('/pets/7', put(PET));
      expect(res.status).toBe(400);
      expect(res.json).toEqual(missing('version'));
    });

    it('reads no query parameter from a fragment, as the router does not', async () => {
      const app = await start();
      // Raw: clients drop a fragment, and Node's parser lets one through to the routers, which
      // read `/pets/7#?version=1` as the path `/pets/7` with no query.
      const send = async (target: string) => {
        const body = JSON.stringify(PET);
        const conn = await RawConnection.open(app.url);
        conn.write(
          `PUT ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
            `X-Client: test\r\nX-Trace: t1\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
        const res = await conn.response();
        conn.destroy();
        return [res?.status, res?.status === 200 ? null : JSON.parse(res?.body ?? 'null')];
      };
      expect(await send('/pets/7#?version=1')).toEqual([400, missing('version')]);
      expect(await send('/pets/7?version=1#f')).toEqual([200, null]);
    });

    it('answers 400 naming a missing header', async () => {
      const app = await start();
      const res = await app.request(
        '/pets/7?version=1',
        put(PET, { 'content-type': 'application/json', 'x-trace': 't1' }),
      );
      expect(res.status).toBe(400);
      expect(res.json).toEqual(missing('x-client'));
    });

    it('answers 400 naming a missing path parameter', async () => {
      const app = await start();
      const res = await app.request('/pets/?version=1', put(PET));
      expect(res.status).toBe(400);
      expect(res.json).toEqual(missing('id'));
    });

    it('lists every missing parameter in document order (path item first, overrides in place)', async () => {
      const app = await start();
      // x-trace is required by the path item but made optional by the operation.
      const res = await app.request('/pets/', put(PET, { 'content-type': 'application/json' }));
      expect(res.status).toBe(400);
      expect(res.json).toEqual(missing('id, version, x-client'));
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    });

    it('counts a blank value as missing, as API Gateway does ("included and not blank")', async () => {
      const app = await start();
      for (const query of ['?version', '?version=', '?version=%20']) {
        const res = await app.request(`/pets/7${query}`, put(PET));
        expect(res.json).toEqual(missing('version'));
      }
      const blankHeader = put(PET, { ...GOOD_HEADERS, 'x-client': ' ' });
      expect((await app.request('/pets/7?version=1', blankHeader)).json).toEqual(
        missing('x-client'),
      );
      expect((await app.request('/pets/7?version=&version=2', put(PET))).status).toBe(200);
    });

    it('follows the operation-level validator: params-only does not read the body', async () => {
      const app = await fw.start({
        use: [routed(validatorFor('/pets/{id}', 'get'))],
        routes: [{ method: 'GET', path: '/pets/7', reply: { body: 'ok' } }],
      });
      expect((await app.request('/pets/7')).json).toEqual(missing('x-trace'));
      expect((await app.request('/pets/7', { headers: { 'x-trace': 't' } })).status).toBe(200);
    });
  });

  describe('JSON bodies against the schema', () => {
    let seen: string[] = [];
    const start = (extra: Partial<RequestValidatorSpec> = {}) =>
      fw.start({
        use: [routed(validatorFor('/pets/{id}', 'put', { debug: (m) => seen.push(m), ...extra }))],
        routes: [{ method: 'PUT', path: '/pets/7' }],
      });

    it('passes a valid body on', async () => {
      const app = await start();
      const res = await app.request('/pets/7?version=1', put(PET));
      expect(res.status).toBe(200);
      expect(res.body).toBe('ok');
    });

    it('answers 400 "Invalid request body" for invalid JSON', async () => {
      const app = await start();
      const res = await app.request('/pets/7?version=1', put('{"name": "Rex",'));
      expect(res.status).toBe(400);
      expect(res.json).toEqual(INVALID_BODY);
    });

    it('answers 400 for a schema violation, without echoing ajv to the client', async () => {
      seen = [];
      const app = await start();
      const res = await app.request('/pets/7?version=1', put({ name: 'Rex', kind: '<cow>' }));
      expect(res.status).toBe(400);
      expect(res.body).toBe(JSON.stringify(INVALID_BODY));
      expect(seen).toEqual([
        '/components/requestBodies/Pet: body/kind must be equal to one of the allowed values',
      ]);
    });

    it('follows $refs into #/components/schemas (required properties of Pet)', async () => {
      const app = await start();
      const res = await app.request('/pets/7?version=1', put({ name: 'Rex' }));
      expect(res.json).toEqual(INVALID_BODY);
    });

    it('accepts null where the schema is nullable, and still checks a non-null value', async () => {
      const app = await start();
      const ok = await app.request('/pets/7?version=1', put({ ...PET, owner: null }));
      expect(ok.status).toBe(200);
      const owned = { ...PET, owner: { email: 'a@example.com' } };
      expect((await app.request('/pets/7?version=1', put(owned))).status).toBe(200);
      const bad = { ...PET, owner: { email: 'not an address' } };
      expect((await app.request('/pets/7?version=1', put(bad))).json).toEqual(INVALID_BODY);
    });

    it('answers 400 when a required body is missing', async () => {
      const app = await start();
      const res = await app.request('/pets/7?version=1', {
        method: 'PUT',
        headers: { 'x-client': 'test', 'x-trace': 't1', 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(res.json).toEqual(INVALID_BODY);
    });

    it('reads a body without Content-Type as JSON, as API Gateway does', async () => {
      const app = await start();
      const res = await app.request(
        '/pets/7?version=1',
        put({ name: 'Rex' }, { 'x-client': 'test', 'x-trace': 't1' }),
      );
      expect(res.json).toEqual(INVALID_BODY);
    });

    it('passes a media type the operation does not model, unread', async () => {
      const app = await start();
      const res = await app.request(
        '/pets/7?version=1',
        put('name,kind', { 'content-type': 'text/csv', 'x-client': 'test', 'x-trace': 't1' }),
      );
      expect(res.status).toBe(200);
    });

    it('answers 413 "Request Too Long" past the body limit', async () => {
      const app = await start({ bodyLimit: 64 });
      const res = await app.request('/pets/7?version=1', put({ ...PET, name: 'x'.repeat(100) }));
      expect(res.status).toBe(413);
      expect(res.json).toEqual({ message: 'Request Too Long' });
    });

    it('answers 413 to a chunked body that grows past the limit, and keeps serving', async () => {
      const app = await start({ bodyLimit: 64 });
      const chunked = { ...GOOD_HEADERS, 'transfer-encoding': 'chunked' };
      const big = JSON.stringify({ ...PET, name: 'x'.repeat(100_000) });
      const res = await app.request('/pets/7?version=1', put(big, chunked));
      expect(res.status).toBe(413);
      expect((await app.request('/pets/7?version=1', put(PET))).status).toBe(200);
    });

    it('hands the body it read to a JSON parser mounted after it', async () => {
      const app = await fw.start({
        use: [routed(validatorFor('/pets/{id}', 'put')), jsonParser(fw)],
        routes: [echoRoute('PUT', '/pets/7')],
      });
      const ok = await app.request('/pets/7?version=1', put(PET));
      expect([ok.status, ok.json]).toEqual([200, { received: PET }]);
      const bad = await app.request('/pets/7?version=1', put({ ...PET, kind: 'cow' }));
      expect(bad.json).toEqual(INVALID_BODY);
    });

    it('checks a body a JSON parser mounted before already read', async () => {
      const app = await fw.start({
        use: [jsonParser(fw), routed(validatorFor('/pets/{id}', 'put'))],
        routes: [echoRoute('PUT', '/pets/7')],
      });
      const ok = await app.request('/pets/7?version=1', put(PET));
      expect(ok.json).toEqual({ received: PET });
      const bad = await app.request('/pets/7?version=1', put({ ...PET, kind: 'cow' }));
      expect(bad.json).toEqual(INVALID_BODY);
      const none = await app.request('/pets/7?version=1', { method: 'PUT', headers: GOOD_HEADERS });
      expect(none.json).toEqual(INVALID_BODY);
    });
  });

  describe('OpenAPI 3.0 schema dialect (/notes)', () => {
    const start = () =>
      fw.start({
        use: [routed(validatorFor('/notes', 'post'))],
        routes: [{ method: 'POST', path: '/notes' }],
      });
    const post = (body: unknown, type = 'application/json') => ({
      method: 'POST',
      headers: { 'content-type': type },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

    it('nullable, boolean exclusiveMinimum and formats', async () => {
      const app = await start();
      const status = async (body: unknown) => (await app.request('/notes', post(body))).status;
      expect(await status({ text: 'a', due: null, priority: null })).toBe(200);
      expect(await status({ text: 'a', due: '2026-12-07', priority: 1 })).toBe(200);
      expect(await status({ text: 'a', priority: 0 })).toBe(400);
      expect(await status({ text: 'a', due: 'tomorrow' })).toBe(400);
      expect(await status({ text: null })).toBe(400);
    });

    it('passes an optional body left out', async () => {
      const app = await start();
      expect((await app.request('/notes', { method: 'POST' })).status).toBe(200);
    });

    it('does not apply a schema to a non-JSON media type (text/plain)', async () => {
      const app = await start();
      const res = await app.request('/notes', post('anything', 'text/plain'));
      expect(res.status).toBe(200);
    });
  });

  describe('hostile bodies', () => {
    it('answers 400 to a body nested deeper than the stack against a recursive schema', async () => {
      const app = await fw.start({
        use: [routed(validatorFor('/trees', 'post'))],
        routes: [{ method: 'POST', path: '/trees', reply: { status: 201 } }],
      });
      const depth = 200_000;
      const deep = `${'{"children":['.repeat(depth)}${']}'.repeat(depth)}`;
      const json = { 'content-type': 'application/json' };
      const res = await app.request('/trees', { method: 'POST', headers: json, body: deep });
      expect(res.json).toEqual(INVALID_BODY);
      const tree = JSON.stringify({ children: [{ children: [] }] });
      const ok = await app.request('/trees', { method: 'POST', headers: json, body: tree });
      expect(ok.status).toBe(201);
    });

    it('keeps "__proto__" in a body as data', async () => {
      const app = await fw.start({
        use: [routed(validatorFor('/pets/{id}', 'put'))],
        routes: [{ method: 'PUT', path: '/pets/7' }],
      });
      const body = '{"name":"Rex","kind":"dog","__proto__":{"kind":"cow"}}';
      expect((await app.request('/pets/7?version=1', put(body))).status).toBe(200);
      expect(({} as { kind?: string }).kind).toBeUndefined();
    });
  });

  describe('a required body of an unmodelled media type (/uploads)', () => {
    it('checks only that there is one, from the request framing', async () => {
      const app = await fw.start({
        use: [routed(validatorFor('/uploads', 'post'))],
        routes: [{ method: 'POST', path: '/uploads', reply: { status: 201, body: 'stored' } }],
      });
      const octets = { 'content-type': 'application/octet-stream' };
      const empty = await app.request('/uploads', { method: 'POST', headers: octets });
      expect(empty.json).toEqual(INVALID_BODY);
      const full = await app.request('/uploads', { method: 'POST', headers: octets, body: 'xyz' });
      expect(full.status).toBe(201);
    });
  });
});

describeEachFramework('openapi request validation before the proxy', (fw) => {
  let up: Upstream;
  beforeAll(async () => {
    up = await startEchoUpstream();
  });
  afterAll(() => up.close());

  it('forwards the very bytes it validated', async () => {
    const app = await fw.start({ use: [routed(validatorFor('/pets/{id}', 'put')), proxy(up.url)] });
    const text = '{"name":"Rex",  "kind":"dog","big":12345678901234567890}';
    const res = await app.request('/pets/7?version=1', put(text));
    expect(res.status).toBe(200);
    expect((res.json as EchoReply).body).toBe(text);
  });
});

describe('compileRequestValidator()', () => {
  it('returns undefined when there is nothing to check', () => {
    const operation = (document.paths as Record<string, Json>)['/pets/{id}']!.get as Json;
    expect(
      compileRequestValidator({
        document,
        pointer: '/paths/~1pets~1{id}/get',
        parameters: [],
        requestBody: operation.requestBody,
        validateRequestBody: true,
        validateRequestParameters: true,
      }),
    ).toBeUndefined();
  });
});
