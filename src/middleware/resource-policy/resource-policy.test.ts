import { describe, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { createMiddleware } from '../../adapters/universal.js';
import { cors } from '../cors/index.js';
import { resourcePolicy } from './index.js';
import type { ResourcePolicyStatement, ResourcePolicyWarning } from './types.js';

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5';
const MASKED = 'arn:aws:execute-api:us-east-1:********9012:a1b2c3d4e5';
const INVOKE = 'execute-api:Invoke';

const allow = (
  Resource: string | string[],
  Condition?: ResourcePolicyStatement['Condition'],
): ResourcePolicyStatement => ({
  Effect: 'Allow',
  Principal: '*',
  Action: INVOKE,
  Resource,
  ...(Condition === undefined ? {} : { Condition }),
});
const deny = (
  Resource: string | string[],
  Condition?: ResourcePolicyStatement['Condition'],
): ResourcePolicyStatement => ({
  ...allow(Resource, Condition),
  Effect: 'Deny',
});
const policy = (...Statement: ResourcePolicyStatement[]) => ({ Version: '2012-10-17', Statement });

const from = (address: string, headers: Record<string, string> = {}) => ({
  headers: { 'x-forwarded-for': address, ...headers },
});

/** Routes that say which one answered. */
const routes = ['/pets', '/pets/:id', '/admin', '/admin/users', '/'].flatMap((path) =>
  ['GET', 'POST', 'DELETE'].map((method) => ({
    method,
    path,
    reply: { body: { route: `${method} ${path}` } },
  })),
);

/** A middleware standing for `gateway.openapi()`'s stage routing: it names the stage. */
const onStage = (stage: string) =>
  createMiddleware('stage', (ex, next) => {
    ex.gateway.stage = stage;
    return next();
  });

describe('resourcePolicy() at start-up', () => {
  const check = (statement: unknown) => () =>
    resourcePolicy({ Statement: [allow(`${ARN}/*`), statement] } as never, {
      onUnsupported: () => undefined,
    });

  it('names the statement and the key of what it cannot evaluate', () => {
    expect(check(allow('*', { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' } }))).toThrow(
      /option "policy.Statement\[1\].Condition.DateGreaterThan" must be an operator/,
    );
    expect(check(allow('*', { StringEquals: { 'aws:PrincipalTag/team': 'a' } }))).toThrow(
      /option "policy.Statement\[1\].Condition.StringEquals\["aws:PrincipalTag\/team"\]" must be a key/,
    );
    expect(check(allow('*', { StringEquals: { 'aws:SourceIp': '10.0.0.1' } }))).toThrow(
      /Statement\[1\].*IpAddress or NotIpAddress/,
    );
    expect(
      check(allow('*', { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '10.0.0.1/8'] } })),
    ).toThrow(
      /option "policy.Statement\[1\].Condition.IpAddress\["aws:SourceIp"\]\[1\]".*host bits/,
    );
    expect(check(allow('*', { StringLike: { 'aws:Referer': '\u0024{aws:username}' } }))).toThrow(
      /policy variables/,
    );
  });

  it('refuses malformed statements, naming their index', () => {
    expect(check({ ...allow('*'), Effect: 'Permit' })).toThrow(/Statement\[1\].Effect/);
    expect(check({ ...allow('*'), Resource: undefined })).toThrow(
      /Statement\[1\]" must be one of Resource or NotResource/,
    );
    expect(check({ ...allow('*'), NotResource: '*' })).toThrow(/one of Resource or NotResource/);
    expect(check({ ...allow('*'), Principal: undefined })).toThrow(/Principal or NotPrincipal/);
    expect(check({ ...allow('*'), Action: [] })).toThrow(/Statement\[1\].Action/);
    expect(check(allow('arn:aws:s3:::bucket/*'))).toThrow(/Statement\[1\].Resource\[0\]/);
    expect(check(allow('/pets'))).toThrow(/Resource\[0\]" must be an execute-api ARN/);
    expect(check({ ...allow('*'), Extra: 1 })).toThrow(/Statement\[1\].Extra/);
    expect(check('nope')).toThrow(/Statement\[1\]" must be an object/);
    expect(() => resourcePolicy({ Statement: [] })).toThrow(/policy.Statement/);
    expect(() => resourcePolicy('{not json')).toThrow(/option "policy" must be a policy object/);
    expect(() => resourcePolicy({ Version: '2020-01-01', Statement: allow('*') })).toThrow(
      /policy.Version/,
    );
  });

  it('validates its options, naming them', () => {
    const p = policy(allow('*'));
    expect(() => resourcePolicy(p, { region: 'us:east' })).toThrow(/option "region"/);
    expect(() => resourcePolicy(p, { stage: 'a/b' })).toThrow(/option "stage"/);
    expect(() => resourcePolicy(p, { vpceHeader: 'bad header' })).toThrow(/option "vpceHeader"/);
    expect(() => resourcePolicy(p, { strictRouting: 'yes' as never })).toThrow(/strictRouting/);
    expect(() => resourcePolicy(p, { onUnsupported: 1 as never })).toThrow(/onUnsupported/);
    expect(() => resourcePolicy(p, { response: { status: 42 } })).toThrow(/response.status/);
    expect(() => resourcePolicy(p, { regoin: 'x' } as never)).toThrow(/unknown option "regoin"/);
  });

  it('asks for apiId when the policy names two APIs', () => {
    expect(() => resourcePolicy(policy(allow(`${ARN}/*`), allow(`${ARN}x/*`)))).toThrow(
      /option "apiId" must be given: the policy names several \(a1b2c3d4e5, a1b2c3d4e5x\)/,
    );
    expect(() =>
      resourcePolicy(policy(allow(`${ARN}/*`), allow(`${ARN}x/*`)), { apiId: 'a1b2c3d4e5' }),
    ).not.toThrow();
  });

  it('reports statements naming IAM principals once, with their index', () => {
    const warnings: ResourcePolicyWarning[] = [];
    resourcePolicy(
      policy(allow('*'), {
        ...allow('*'),
        Sid: 'Admins',
        Principal: { AWS: 'arn:aws:iam::123456789012:role/admin' },
      }),
      { onUnsupported: (w) => warnings.push(w) },
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ statement: 1, sid: 'Admins' });
    expect(warnings[0]!.message).toMatch(/Statement\[1\] \(Admins\) names principals/);
  });

  it('reports a Resource of another account as never matching', () => {
    const warnings: ResourcePolicyWarning[] = [];
    resourcePolicy(policy(allow(`${ARN}/*`)), {
      accountId: '999999999999',
      onUnsupported: (w) => warnings.push(w),
    });
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/Statement\[0\] Resource\[0\] names another region or account/),
    ]);
  });

  it('does not mutate the policy or the options', () => {
    const p = Object.freeze(policy(Object.freeze(allow(Object.freeze([`${ARN}/*`]) as never))));
    const o = Object.freeze({ stage: 'prod' });
    expect(() => resourcePolicy(p, o)).not.toThrow();
  });
});

describeEachFramework('resourcePolicy()', (fw) => {
  it('allows a source IP range and refuses the rest, as API Gateway words it', async () => {
    const app = await fw.start({
      trustProxy: true,
      use: [
        resourcePolicy(
          policy(allow(`${ARN}/*`, { IpAddress: { 'aws:SourceIp': ['192.0.2.0/24'] } })),
        ),
      ],
      routes,
    });
    const ok = await app.request('/pets', from('192.0.2.7'));
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ route: 'GET /pets' });
    const res = await app.request('/pets/1?x=1', from('198.51.100.7'));
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json).toEqual({
      Message: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${MASKED}/$default/GET/pets/1`,
    });
    expect(res.headers['x-request-id']).toBeDefined();
  });

  it('lets a Deny by IP win over an Allow, and says so', async () => {
    const app = await fw.start({
      trustProxy: true,
      use: [
        resourcePolicy(
          policy(
            allow(`${ARN}/*`),
            deny(`${ARN}/*`, { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '10.9.8.7'] } }),
          ),
        ),
      ],
      routes,
    });
    expect((await app.request('/pets', from('10.9.8.6'))).status).toBe(200);
    const res = await app.request('/pets', from('10.9.8.7'));
    expect(res.status).toBe(403);
    expect((res.json as { Message: string }).Message).toBe(
      `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${MASKED}/$default/GET/pets with an explicit deny`,
    );
    expect((await app.request('/', from('203.0.113.200'))).status).toBe(403);
  });

  it('denies implicitly what no Allow matches', async () => {
    const app = await fw.start({
      use: [resourcePolicy(policy(allow(`${ARN}/*/GET/pets`)))],
      routes,
    });
    expect((await app.request('/pets')).status).toBe(200);
    const res = await app.request('/pets', { method: 'POST' });
    expect(res.status).toBe(403);
    expect((res.json as { Message: string }).Message).toMatch(/\/\$default\/POST\/pets$/);
  });

  it('matches methods and paths with * and ?, a * crossing segments as IAM does', async () => {
    const app = await fw.start({
      use: [
        resourcePolicy(
          policy(
            allow(['execute-api:/*/GET/*', 'execute-api:/*/POST/pets/?']),
            deny('execute-api:/*/*/admin*'),
          ),
        ),
      ],
      routes,
    });
    // Admitted: past the policy (the test router of Koa has no `/pets/:id`: 404 there).
    const admitted = async (method: string, path: string) =>
      (await app.request(path, { method })).status !== 403;
    expect(await admitted('GET', '/pets/42')).toBe(true);
    expect(await admitted('GET', '/')).toBe(true);
    expect(await admitted('POST', '/pets/7')).toBe(true);
    expect(await admitted('POST', '/pets/42')).toBe(false);
    expect(await admitted('DELETE', '/pets/7')).toBe(false);
    expect(await admitted('GET', '/admin')).toBe(false);
    expect(await admitted('GET', '/admin/users')).toBe(false);
    // Express and @koa/router serve HEAD from the GET route: the GET rules hold for it.
    expect(await admitted('HEAD', '/pets/42')).toBe(true);
    expect(await admitted('HEAD', '/admin')).toBe(false);
  });

  it('holds a Deny for every case and trailing slash the router serves alike', async () => {
    const app = await fw.start({
      use: [resourcePolicy(policy(allow('execute-api:/*'), deny('execute-api:/*/GET/admin')))],
      routes,
    });
    for (const path of ['/admin', '/ADMIN', '/admin/', '/Admin/'])
      expect((await app.request(path)).status, path).toBe(403);
    expect((await app.request('/admin/users')).status).toBe(200);
  });

  it('puts the stage in the ARN and matches the path relative to it', async () => {
    const app = await fw.start({
      use: [
        onStage('prod'),
        resourcePolicy(policy(allow(`${ARN}/prod/GET/*`), deny(`${ARN}/prod/GET/admin`))),
      ],
      routes: [
        ...routes,
        { method: 'GET', path: '/prod/pets', reply: { body: 'prod pets' } },
        { method: 'GET', path: '/prod/admin', reply: { body: 'prod admin' } },
        { method: 'GET', path: '/prod', reply: { body: 'prod root' } },
      ],
    });
    expect((await app.request('/prod/pets')).body).toBe('prod pets');
    expect((await app.request('/prod')).body).toBe('prod root');
    const res = await app.request('/prod/admin');
    expect(res.status).toBe(403);
    expect((res.json as { Message: string }).Message).toMatch(
      /a1b2c3d4e5\/prod\/GET\/admin with an explicit deny$/,
    );
    // A path the stage's mount did not route still carries the stage in its ARN.
    expect((await app.request('/pets')).status).toBe(200);
  });

  it('takes the stage from its option when the context has none', async () => {
    const app = await fw.start({
      use: [resourcePolicy(policy(allow('execute-api:/dev/*')), { stage: 'dev' })],
      routes,
    });
    expect((await app.request('/pets')).status).toBe(200);
    const other = await fw.start({
      use: [resourcePolicy(policy(allow('execute-api:/dev/*')))],
      routes,
    });
    expect((await other.request('/pets')).status).toBe(403);
  });

  it('denies with NotIpAddress every address outside the ranges, IPv6 included', async () => {
    const app = await fw.start({
      trustProxy: true,
      use: [
        resourcePolicy(
          policy(
            allow('execute-api:/*'),
            deny('execute-api:/*', {
              NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] },
            }),
          ),
        ),
      ],
      routes,
    });
    const status = async (ip: string) => (await app.request('/pets', from(ip))).status;
    expect(await status('10.1.2.3')).toBe(200);
    expect(await status('::ffff:10.1.2.3')).toBe(200);
    expect(await status('2001:db8::42')).toBe(200);
    expect(await status('2001:db9::42')).toBe(403);
    expect(await status('11.0.0.1')).toBe(403);
    // Not an address at all: no condition on it can be said to hold.
    expect(await status('unknown')).toBe(403);
  });

  it('allows an IPv6 range', async () => {
    const app = await fw.start({
      trustProxy: true,
      use: [
        resourcePolicy(
          policy(allow('execute-api:/*', { IpAddress: { 'aws:SourceIp': 'fe80::/10' } })),
        ),
      ],
      routes,
    });
    expect((await app.request('/pets', from('fe80::1%eth0'))).status).toBe(200);
    expect((await app.request('/pets', from('fe00::1'))).status).toBe(403);
  });

  it('reads aws:SourceVpce from the header the app names, with StringLike', async () => {
    const statements = policy(
      allow('execute-api:/*'),
      deny('execute-api:/*', { StringNotLike: { 'aws:SourceVpce': 'vpce-0abc*' } }),
    );
    const app = await fw.start({
      use: [resourcePolicy(statements, { vpceHeader: 'X-Vpce-Id' })],
      routes,
    });
    const status = async (headers: Record<string, string>) =>
      (await app.request('/pets', { headers })).status;
    expect(await status({ 'x-vpce-id': 'vpce-0abc123' })).toBe(200);
    expect(await status({ 'x-vpce-id': 'vpce-0def123' })).toBe(403);
    // Absent: a negated operator holds, so the Deny applies (IAM's rule for a missing key).
    expect(await status({})).toBe(403);
    // Without a header named, no request has an endpoint id: the Deny always applies.
    const bare = await fw.start({ use: [resourcePolicy(statements)], routes });
    expect((await bare.request('/pets', { headers: { 'x-vpce-id': 'vpce-0abc1' } })).status).toBe(
      403,
    );
  });

  it('evaluates IfExists, ForAnyValue and StringEqualsIgnoreCase on aws:UserAgent', async () => {
    const app = await fw.start({
      use: [
        resourcePolicy(
          policy(
            allow('execute-api:/*/GET/*', {
              StringEqualsIgnoreCaseIfExists: { 'aws:UserAgent': 'probe/1' },
            }),
            allow('execute-api:/*/POST/*', {
              'ForAnyValue:StringLike': { 'aws:Referer': '*.example.com/*' },
            }),
          ),
        ),
      ],
      routes,
    });
    const req = (method: string, headers: Record<string, string>) =>
      app.request('/pets', { method, headers });
    expect((await req('GET', { 'user-agent': 'PROBE/1' })).status).toBe(200);
    expect((await req('GET', { 'user-agent': 'curl/8' })).status).toBe(403);
    expect((await req('POST', { referer: 'https://app.example.com/x' })).status).toBe(200);
    expect((await req('POST', {})).status).toBe(403);
  });

  it('tells present keys from absent ones with Null', async () => {
    const app = await fw.start({
      use: [
        resourcePolicy(
          policy(
            allow('execute-api:/*/GET/*', { Null: { 'aws:SourceVpce': 'true' } }),
            allow('execute-api:/*/POST/*', { Null: { 'aws:SourceIp': 'true' } }),
          ),
          { vpceHeader: 'x-vpce-id' },
        ),
      ],
      routes,
    });
    expect((await app.request('/pets')).status).toBe(200);
    expect((await app.request('/pets', { headers: { 'x-vpce-id': 'vpce-1' } })).status).toBe(403);
    // The source address is always present.
    expect((await app.request('/pets', { method: 'POST' })).status).toBe(403);
  });

  it('evaluates NotResource, NotAction and NotPrincipal', async () => {
    const app = await fw.start({
      use: [
        resourcePolicy(
          JSON.stringify(
            policy(
              // Everything but /admin…, for everyone but the IAM principal named.
              {
                Effect: 'Allow',
                NotPrincipal: { AWS: 'arn:aws:iam::123456789012:root' },
                Action: INVOKE,
                NotResource: `${ARN}/*/*/admin*`,
              },
              // A statement about another action does not apply to a request.
              { ...deny('execute-api:/*'), Action: 'execute-api:ManageConnections' },
              // Every action but Invoke: does not apply either.
              { Effect: 'Deny', Principal: '*', NotAction: 'execute-api:Invoke', Resource: '*' },
            ),
          ),
        ),
      ],
      routes,
    });
    expect((await app.request('/pets')).status).toBe(200);
    expect((await app.request('/admin/users')).status).toBe(403);
  });

  it('reads an ARN cut short after a * as reaching across the rest', async () => {
    const app = await fw.start({
      use: [
        resourcePolicy(policy(allow('arn:aws:execute-api:us-east-1:*'), deny(`${ARN}/*/DELETE/*`))),
      ],
      routes,
    });
    expect((await app.request('/pets')).status).toBe(200);
    expect((await app.request('/pets', { method: 'DELETE' })).status).toBe(403);
  });

  it('lets a statement with only IAM principals match nothing', async () => {
    const app = await fw.start({
      use: [
        resourcePolicy(
          policy({ ...allow('execute-api:/*'), Principal: { AWS: ['arn:aws:iam::1:root'] } }),
          { onUnsupported: () => undefined },
        ),
      ],
      routes,
    });
    expect((await app.request('/pets')).status).toBe(403);
  });

  it('sends its 403 with the CORS headers, records ACCESS_DENIED, and takes an override', async () => {
    let seen: unknown;
    const app = await fw.start({
      use: [
        cors({ origin: ['https://app.example.com'] }),
        createMiddleware('observe', async (ex, next) => {
          await next();
          seen = ex.gateway.error;
        }),
        resourcePolicy(policy(allow('execute-api:/*/GET/*')), {
          response: { status: 404, headers: { 'x-why': 'policy' } },
        }),
      ],
      routes,
    });
    const res = await app.request('/pets', {
      method: 'POST',
      headers: { origin: 'https://app.example.com' },
    });
    expect(res.status).toBe(404);
    expect(res.headers['x-why']).toBe('policy');
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect((res.json as { Message: string }).Message).toMatch(/\$default\/POST\/pets$/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual({
      responseType: 'ACCESS_DENIED',
      message: expect.stringMatching(/^User: anonymous is not authorized/),
    });
    const fixed = await fw.start({
      use: [
        resourcePolicy(policy(allow('execute-api:/*/GET/*')), {
          response: { message: 'Forbidden' },
        }),
      ],
      routes,
    });
    expect((await fixed.request('/pets', { method: 'POST' })).json).toEqual({
      message: 'Forbidden',
    });
  });
});
