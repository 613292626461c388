import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeEachFramework, type Framework } from '../../../test/support/frameworks.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { RawConnection } from '../../../test/support/raw-http.js';
import { cors } from '../cors/index.js';
import { type AuthorizerOptions, authorizer } from './index.js';
import type { AuthorizerEvent, AuthorizerFunction, AuthorizerResult } from './types.js';

const TOKEN = 'Bearer token-of-alice';
const ARN = 'arn:aws:execute-api:local:000000000000:portcullis/$default';
const withToken = (token = TOKEN, method = 'GET') => ({
  method,
  headers: { authorization: token },
});

/** An authorizer function that records each event it is called with. */
function recording(answer: (event: AuthorizerEvent) => unknown | Promise<unknown>) {
  const events: AuthorizerEvent[] = [];
  const fn = ((event: AuthorizerEvent) => {
    events.push(event);
    return answer(event);
  }) as AuthorizerFunction;
  return { fn, events };
}

const allowAlice = () => ({
  principalId: 'alice',
  allow: true,
  context: { plan: 'pro', admin: false, n: 1 },
});

/** Routes answering with the principal they see, for GET, HEAD, DELETE and POST on a few paths. */
const ROUTES = ['/pets', '/pets/1', '/admin', '/admin/users'].flatMap((path) =>
  ['GET', 'DELETE', 'POST'].map((method) => ({
    method,
    path,
    reply: (gateway: unknown) => ({
      body: { principal: (gateway as { principal?: unknown }).principal ?? null },
    }),
  })),
);

function start(fw: Framework, fn: AuthorizerFunction, options: AuthorizerOptions = {}) {
  return fw.start({ use: [authorizer(fn, options)], routes: ROUTES });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('authorizer() options', () => {
  const fn = allowAlice as AuthorizerFunction;

  it('requires a function and refuses bad options at start-up, naming the option', () => {
    expect(() => authorizer(undefined as never)).toThrow(/option "fn"/);
    expect(() => authorizer(fn, { ttl: 3601 })).toThrow(RangeError);
    expect(() => authorizer(fn, { ttl: -1 })).toThrow(/option "ttl"/);
    expect(() => authorizer(fn, { ttl: 1.5 })).toThrow(/option "ttl"/);
    expect(() => authorizer(fn, { timeoutMs: 0 })).toThrow(/option "timeoutMs"/);
    expect(() => authorizer(fn, { cacheSize: 0 })).toThrow(/option "cacheSize"/);
    expect(() => authorizer(fn, { type: 'COOKIE' as never })).toThrow(/option "type"/);
    expect(() => authorizer(fn, { identitySource: 'cookie:sid' })).toThrow(
      /option "identitySource"/,
    );
    expect(() => authorizer(fn, { identitySource: [] })).toThrow(/option "identitySource"/);
    expect(() => authorizer(fn, { identitySource: ['header:a b'] })).toThrow(
      /option "identitySource\[0\]"/,
    );
    expect(() => authorizer(fn, { type: 'TOKEN', identitySource: 'query:token' })).toThrow(
      /option "identitySource"/,
    );
    expect(() => authorizer(fn, { identityValidationExpression: /^Bearer / })).toThrow(
      /option "identityValidationExpression"/,
    );
    expect(() => authorizer(fn, { arn: { region: 'eu:west' } })).toThrow(/option "arn.region"/);
    expect(() => authorizer(fn, { arn: { zone: 'x' } as never })).toThrow(/unknown option "zone"/);
    expect(() => authorizer(fn, { responses: { denied: {} } as never })).toThrow(
      /unknown option "denied"/,
    );
    expect(() => authorizer(fn, { responses: { unauthorized: { status: 42 } } })).toThrow(
      /option "responses.unauthorized.status"/,
    );
    expect(() => authorizer(fn, { clock: {} as never })).toThrow(/option "clock"/);
    expect(() => authorizer(fn, { tll: 5 } as never)).toThrow(/unknown option "tll"/);
  });

  it('accepts API Gateway spellings of identity sources and does not mutate the options', () => {
    const options = Object.freeze({
      identitySource: Object.freeze([
        'method.request.header.Authorization',
        'method.request.querystring.tenant',
      ]),
      arn: Object.freeze({ region: 'eu-west-1' }),
    });
    expect(() => authorizer(fn, options)).not.toThrow();
  });
});

describeEachFramework('authorizer()', (fw) => {
  describe('when the identity source is missing', () => {
    it('answers 401 Unauthorized without calling fn', async () => {
      const { fn, events } = recording(allowAlice);
      const app = await start(fw, fn);
      for (const init of [{}, withToken('')]) {
        const res = await app.request('/pets', init);
        expect(res.status).toBe(401);
        expect(res.json).toEqual({ message: 'Unauthorized' });
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        // RFC 9110 §11.6.1: a 401 carries a challenge (DESIGN.md names RFC 6750's).
        expect(res.headers['www-authenticate']).toBe('Bearer');
      }
      expect(events).toHaveLength(0);
    });

    it('needs every source: a header and a query parameter', async () => {
      const { fn, events } = recording(allowAlice);
      const app = await start(fw, fn, { identitySource: ['header:Authorization', 'query:tenant'] });
      expect((await app.request('/pets', withToken())).status).toBe(401);
      expect((await app.request('/pets?tenant=a')).status).toBe(401);
      expect(events).toHaveLength(0);
      expect((await app.request('/pets?tenant=a', withToken())).status).toBe(200);
      expect((await app.request('/pets?tenant=a&x=1', withToken())).status).toBe(200);
      expect(events).toHaveLength(1);
      // Another tenant is another identity: fn is asked again.
      expect((await app.request('/pets?tenant=b', withToken())).status).toBe(200);
      expect(events).toHaveLength(2);
    });
    it('reads no identity from a fragment, which the router reads as no query', async () => {
      const { fn, events } = recording(allowAlice);
      const app = await start(fw, fn, { identitySource: 'query:tenant' });
      // Raw: clients drop a fragment; the router reads `/pets#?tenant=a` as `/pets`, no query.
      const conn = await RawConnection.open(app.url);
      const statuses: Array<number | undefined> = [];
      for (const target of ['/pets#?tenant=a', '/pets?tenant=a#?tenant=b']) {
        conn.write(`GET ${target} HTTP/1.1\r\nHost: example.com\r\n\r\n`);
        statuses.push((await conn.response())?.status);
      }
      conn.destroy();
      expect(statuses).toEqual([401, 200]);
      expect(
        events.map((e) => (e as { queryStringParameters?: unknown }).queryStringParameters),
      ).toEqual([{ tenant: 'a' }]);
    });
  });

  describe('with a simple answer', () => {
    it('admits the request and puts principal { id, context, via } on the context', async () => {
      const { fn } = recording(allowAlice);
      const app = await start(fw, fn);
      const res = await app.request('/pets', withToken());
      expect(res.status).toBe(200);
      expect(res.json).toEqual({
        principal: {
          id: 'alice',
          via: 'authorizer',
          context: { plan: 'pro', admin: false, n: 1 },
        },
      });
    });

    it('refuses allow: false with 403 and the explicit-deny message', async () => {
      const { fn } = recording(() => ({ principalId: 'mallory', allow: false }));
      const app = await start(fw, fn);
      const res = await app.request('/pets', withToken());
      expect(res.status).toBe(403);
      expect(res.json).toEqual({
        message: 'User is not authorized to access this resource with an explicit deny',
      });
    });

    it('hands fn the REQUEST event API Gateway would', async () => {
      const { fn, events } = recording(allowAlice);
      const app = await start(fw, fn);
      await app.request('/pets/1?limit=5&limit=7&q=a%20b', {
        method: 'DELETE',
        headers: { authorization: TOKEN, 'x-trace': 't1' },
      });
      expect(events).toHaveLength(1);
      const event = events[0];
      expect(event).toMatchObject({
        type: 'REQUEST',
        methodArn: `${ARN}/DELETE/pets/1`,
        resource: '/pets/1',
        path: '/pets/1',
        httpMethod: 'DELETE',
        headers: { authorization: TOKEN, 'x-trace': 't1' },
        queryStringParameters: { limit: '7', q: 'a b' },
        identity: { sourceIp: '127.0.0.1' },
        requestContext: {
          accountId: '000000000000',
          apiId: 'portcullis',
          stage: '$default',
          httpMethod: 'DELETE',
          path: '/pets/1',
          identity: { sourceIp: '127.0.0.1' },
        },
      });
      expect(events[0]?.type === 'REQUEST' && events[0].requestContext.requestId).toMatch(/./);
    });

    it('hands a TOKEN authorizer { type, authorizationToken, methodArn }, checking the token first', async () => {
      const { fn, events } = recording(allowAlice);
      const app = await start(fw, fn, {
        type: 'TOKEN',
        identitySource: 'header:X-Token',
        identityValidationExpression: /^tok-[a-z]+$/g,
        arn: { region: 'eu-west-1', accountId: '123456789012', apiId: 'abc123', stage: 'prod' },
      });
      const bad = await app.request('/pets', { headers: { 'x-token': 'tok-123' } });
      expect(bad.status).toBe(401);
      expect(events).toHaveLength(0);
      // Twice: a global RegExp's lastIndex must not make every other request fail.
      for (let i = 0; i < 2; i++)
        expect((await app.request('/pets', { headers: { 'x-token': 'tok-abc' } })).status).toBe(
          200,
        );
      expect(events).toEqual([
        {
          type: 'TOKEN',
          authorizationToken: 'tok-abc',
          methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/pets',
        },
      ]);
    });
  });

  describe("with AWS's sample TOKEN authorizer, unchanged", () => {
    /** The Lambda console's Node.js sample, made async (the callback's string errors become throws). */
    async function sampleHandler(event: { authorizationToken: string; methodArn: string }) {
      const generatePolicy = (principalId: string, effect: string, resource: string) => ({
        principalId,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
        },
        context: { stringKey: 'stringval', numberKey: 123, booleanKey: true },
      });
      switch (event.authorizationToken.toLowerCase()) {
        case 'allow':
          return generatePolicy('user', 'Allow', event.methodArn);
        case 'deny':
          return generatePolicy('user', 'Deny', event.methodArn);
        case 'unauthorized':
          throw 'Unauthorized';
        default:
          throw 'Error: Invalid token';
      }
    }

    it('answers 200, 403, 401 and 500 as API Gateway would', async () => {
      vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      const app = await start(fw, sampleHandler as AuthorizerFunction, { type: 'TOKEN' });
      const answers: Array<[string, number]> = [];
      for (const token of ['allow', 'deny', 'unauthorized', 'garbage'])
        answers.push([token, (await app.request('/pets', withToken(token))).status]);
      expect(answers).toEqual([
        ['allow', 200],
        ['deny', 403],
        ['unauthorized', 401],
        ['garbage', 500],
      ]);
      const allowed = await app.request('/pets', withToken('allow'));
      expect(allowed.json).toEqual({
        principal: {
          id: 'user',
          via: 'authorizer',
          context: { stringKey: 'stringval', numberKey: 123, booleanKey: true },
        },
      });
    });
  });

  describe('result cache', () => {
    it('calls fn once per identity within the TTL, and again once it expired', async () => {
      const clock = manualClock();
      const { fn, events } = recording(allowAlice);
      const app = await start(fw, fn, { clock });
      expect((await app.request('/pets', withToken())).status).toBe(200);
      expect((await app.request('/pets/1', withToken(TOKEN, 'DELETE'))).status).toBe(200);
      expect(events).toHaveLength(1);
      expect((await app.request('/pets', withToken('Bearer token-of-bob'))).status).toBe(200);
      expect(events).toHaveLength(2);
      clock.advance(299_999);
      expect((await app.request('/pets', withToken())).status).toBe(200);
      expect(events).toHaveLength(2);
      clock.advance(1);
      expect((await app.request('/pets', withToken())).status).toBe(200);
      expect(events).toHaveLength(3);
    });

    it('honours another ttl, and calls fn for every request with ttl: 0', async () => {
      const clock = manualClock();
      const short = recording(allowAlice);
      const app = await start(fw, short.fn, { clock, ttl: 5 });
      await app.request('/pets', withToken());
      clock.advance(4_999);
      await app.request('/pets', withToken());
      expect(short.events).toHaveLength(1);
      clock.advance(1);
      await app.request('/pets', withToken());
      expect(short.events).toHaveLength(2);

      const off = recording(allowAlice);
      const uncached = await start(fw, off.fn, { clock, ttl: 0 });
      for (let i = 0; i < 3; i++)
        expect((await uncached.request('/pets', withToken())).status).toBe(200);
      expect(off.events).toHaveLength(3);
    });

    it('makes one call for 50 concurrent requests of one caller, and answers them all', async () => {
      let release: () => void = () => {};
      const answered = new Promise<void>((resolve) => {
        release = resolve;
      });
      const { fn, events } = recording(async () => {
        await answered;
        return allowAlice();
      });
      let arrived = 0;
      // Counts requests as they reach the authorizer; the answer comes once all 50 are waiting.
      const arrive = () => {
        if (++arrived === 50) setImmediate(release);
      };
      const app = await fw.start({
        use: [
          {
            // biome-ignore lint/suspicious/noExplicitAny: Express middleware
            express: (_req: any, _res: any, next: any) => {
              arrive();
              next();
            },
            // biome-ignore lint/suspicious/noExplicitAny: Koa middleware
            koa: (_ctx: any, next: any) => {
              arrive();
              return next();
            },
          },
          authorizer(fn),
        ],
        routes: ROUTES,
      });
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          app.request(i % 2 === 0 ? '/pets' : '/pets/1', withToken()),
        ),
      );
      expect(responses.map((res) => res.status)).toEqual(Array(50).fill(200));
      expect(events).toHaveLength(1);
    });

    it('caches a Deny: the next request is refused without calling fn', async () => {
      const { fn, events } = recording((event) => ({
        principalId: 'mallory',
        policyDocument: {
          Statement: [{ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: event.methodArn }],
        },
      }));
      const app = await start(fw, fn);
      for (let i = 0; i < 2; i++) {
        const res = await app.request('/pets', withToken());
        expect(res.status).toBe(403);
        expect(res.json).toEqual({
          message: 'User is not authorized to access this resource with an explicit deny',
        });
      }
      expect(events).toHaveLength(1);
    });

    it('does not cache Unauthorized: a refused token is asked about again', async () => {
      const { fn, events } = recording(() => {
        throw new Error('Unauthorized');
      });
      const app = await start(fw, fn);
      for (let i = 0; i < 2; i++) {
        const res = await app.request('/pets', withToken());
        expect(res.status).toBe(401);
        expect(res.json).toEqual({ message: 'Unauthorized' });
      }
      expect(events).toHaveLength(2);
    });

    it('keeps at most cacheSize results, and fewer for very long identities', async () => {
      const { fn, events } = recording(allowAlice);
      const app = await start(fw, fn, { cacheSize: 2 });
      for (const token of ['a', 'b', 'c', 'a']) await app.request('/pets', withToken(token));
      expect(events).toHaveLength(4);
      // Two tokens of 2 KiB do not fit in the room of two results: the first one is dropped.
      const long = (c: string) => c.repeat(2048);
      for (const token of [long('x'), long('y'), long('x')])
        await app.request('/pets', withToken(token));
      expect(events).toHaveLength(7);
    });

    it('clearCache() makes the next request call fn again', async () => {
      const { fn, events } = recording(allowAlice);
      const mw = authorizer(fn);
      const app = await fw.start({ use: [mw], routes: ROUTES });
      await app.request('/pets', withToken());
      mw.clearCache();
      await app.request('/pets', withToken());
      expect(events).toHaveLength(2);
    });
  });

  describe('with an IAM policy', () => {
    /** A real Lambda authorizer's habit: allow exactly the resource it was asked about. */
    const exactPolicy = (event: AuthorizerEvent): AuthorizerResult => ({
      principalId: 'alice',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: event.methodArn }],
      },
    });

    it('evaluates a cached policy against each request: GET /pets does not allow DELETE /pets/1', async () => {
      const { fn, events } = recording(exactPolicy);
      const app = await start(fw, fn);
      expect((await app.request('/pets', withToken())).status).toBe(200);
      const other = await app.request('/pets/1', withToken(TOKEN, 'DELETE'));
      expect(other.status).toBe(403);
      expect(other.json).toEqual({ message: 'User is not authorized to access this resource' });
      expect(events).toHaveLength(1);
      // The allowed route still is.
      expect((await app.request('/pets', withToken())).status).toBe(200);
    });

    it('matches * in resources, and an explicit Deny wins over an Allow', async () => {
      const { fn } = recording(() => ({
        principalId: 'alice',
        policyDocument: {
          Statement: [
            { Effect: 'Allow', Action: 'execute-api:*', Resource: [`${ARN}/*`] },
            { Effect: 'Deny', Action: ['execute-api:Invoke'], Resource: `${ARN}/*/admin*` },
            // Statements about other actions do not apply.
            { Effect: 'Deny', Action: 'execute-api:ManageConnections', Resource: '*' },
          ],
        },
      }));
      const app = await start(fw, fn);
      expect((await app.request('/pets/1', withToken(TOKEN, 'DELETE'))).status).toBe(200);
      expect((await app.request('/pets', withToken(TOKEN, 'POST'))).status).toBe(200);
      for (const [method, path] of [
        ['GET', '/admin'],
        ['POST', '/admin/users'],
      ] as const) {
        const res = await app.request(path, withToken(TOKEN, method));
        expect(res.status).toBe(403);
        expect(res.json).toEqual({
          message: 'User is not authorized to access this resource with an explicit deny',
        });
      }
    });

    it('cannot be bypassed by /ADMIN, /admin/ or HEAD, which the router serves from GET /admin', async () => {
      const { fn } = recording(() => ({
        principalId: 'alice',
        policyDocument: {
          Statement: [
            { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' },
            { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${ARN}/GET/admin` },
          ],
        },
      }));
      const app = await start(fw, fn);
      expect((await app.request('/pets', withToken())).status).toBe(200);
      for (const [method, path] of [
        ['GET', '/admin'],
        ['GET', '/ADMIN'],
        ['GET', '/admin/'],
        ['HEAD', '/admin'],
      ] as const)
        expect(
          (await app.request(path, withToken(TOKEN, method))).status,
          `${method} ${path}`,
        ).toBe(403);
    });

    it('cannot be bypassed by a fragment or an absolute-form target, which the router serves from /admin', async () => {
      const { fn } = recording(() => ({
        principalId: 'alice',
        policyDocument: {
          Statement: [
            { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' },
            { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${ARN}/GET/admin` },
          ],
        },
      }));
      const app = await start(fw, fn);
      for (const target of ['/admin#x', '/admin?a=1#x', 'http://example.com/admin', '/pets']) {
        const conn = await RawConnection.open(app.url);
        conn.write(
          `GET ${target} HTTP/1.1\r\nHost: example.com\r\nAuthorization: ${TOKEN}\r\nConnection: close\r\n\r\n`,
        );
        const res = await conn.response();
        conn.destroy();
        expect(res?.status, target).toBe(target === '/pets' ? 200 : 403);
      }
    });

    it('answers 500 for a policy it cannot read, and the process stays up', async () => {
      const answers: unknown[] = [
        {
          principalId: 'a',
          policyDocument: { Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] },
        },
        { principalId: 'a', policyDocument: { Statement: [{ Effect: 'Allow', Resource: '*' }] } },
        {
          principalId: 'a',
          policyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: [] }] },
        },
        { principalId: 'a', policyDocument: 'allow' },
        { principalId: 'a', allow: 'yes' },
        { principalId: 'a', allow: true, policyDocument: { Statement: [] } },
        { principalId: 'a' },
        { allow: true },
        { principalId: 7, allow: true },
        { principalId: 'a', allow: true, context: { nested: { no: 1 } } },
        { principalId: 'a', allow: true, usageIdentifierKey: 42 },
        null,
        'Allow',
        Object.defineProperty({}, 'principalId', {
          get() {
            throw new Error('hostile getter');
          },
        }),
      ];
      const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      let i = 0;
      const app = await start(fw, () => answers[i++] as AuthorizerResult, { ttl: 0 });
      for (const _ of answers) {
        const res = await app.request('/pets', withToken());
        expect(res.status).toBe(500);
        expect(res.json).toEqual({ message: 'Internal server error' });
      }
      expect(warnings).toHaveBeenCalledTimes(1);
      expect(String(warnings.mock.calls[0]?.[0])).not.toContain('token-of-alice');
    });
  });

  describe('when fn fails', () => {
    it('answers 500 when fn throws, rejects or throws a non-Error, without logging the token', async () => {
      const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      const failures: AuthorizerFunction[] = [
        (event) => {
          throw new TypeError(
            `cannot parse ${(event as unknown as { headers: { authorization: string } }).headers.authorization}`,
          );
        },
        () => Promise.reject(new Error('database down')),
        () => {
          throw 'Forbidden';
        },
      ];
      for (const fn of failures) {
        const app = await start(fw, fn);
        const res = await app.request('/pets', withToken());
        expect(res.status).toBe(500);
        expect(res.json).toEqual({ message: 'Internal server error' });
      }
      for (const call of warnings.mock.calls)
        expect(String(call[0])).not.toContain('token-of-alice');
    });

    it('treats a rejected Unauthorized and the callback string as 401', async () => {
      for (const fn of [
        () => Promise.reject(new Error('Unauthorized')),
        () => {
          throw 'Unauthorized';
        },
      ] as AuthorizerFunction[]) {
        const app = await start(fw, fn);
        expect((await app.request('/pets', withToken())).status).toBe(401);
      }
    });

    it('answers 500 once timeoutMs passed when fn never answers, and the next request is not stuck', async () => {
      vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      let calls = 0;
      const app = await start(
        fw,
        () => {
          calls++;
          return new Promise<never>(() => {});
        },
        { timeoutMs: 50 },
      );
      const began = performance.now();
      const res = await app.request('/pets', withToken());
      expect(res.status).toBe(500);
      expect(res.json).toEqual({ message: 'Internal server error' });
      expect(performance.now() - began).toBeGreaterThanOrEqual(45);
      // A timed-out call is not cached nor left in flight: the next request asks again.
      expect((await app.request('/pets', withToken())).status).toBe(500);
      expect(calls).toBe(2);
    });

    it('leaves no timer behind once fn answered', async () => {
      const { fn } = recording(async () => allowAlice());
      const app = await start(fw, fn, { timeoutMs: 600_000, ttl: 0 });
      const timers = () =>
        process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
      await app.request('/pets', withToken());
      const before = timers();
      for (let i = 0; i < 5; i++) await app.request('/pets', withToken());
      expect(timers()).toBeLessThanOrEqual(before);
    });
  });

  it('refuses with the CORS headers when cors() runs first, so browser code can read the 401 and 403', async () => {
    const origin = 'https://app.example.com';
    const app = await fw.start({
      use: [cors({ origin }), authorizer(() => ({ principalId: 'm', allow: false }))],
      routes: ROUTES,
    });
    const missing = await app.request('/pets', { headers: { origin } });
    const denied = await app.request('/pets', { headers: { origin, authorization: TOKEN } });
    expect([missing.status, denied.status]).toEqual([401, 403]);
    for (const res of [missing, denied])
      expect(res.headers['access-control-allow-origin']).toBe(origin);
  });

  it('sends the responses given in responses instead of the defaults', async () => {
    const app = await start(fw, () => ({ principalId: 'm', allow: false }), {
      responses: {
        unauthorized: { message: 'Log in', headers: { 'WWW-Authenticate': 'Bearer' } },
        accessDenied: { status: 404, body: { error: 'NOT_FOUND' } },
      },
    });
    const missing = await app.request('/pets');
    expect(missing.status).toBe(401);
    expect(missing.json).toEqual({ message: 'Log in' });
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    const denied = await app.request('/pets', withToken());
    expect(denied.status).toBe(404);
    expect(denied.json).toEqual({ error: 'NOT_FOUND' });
  });
});
