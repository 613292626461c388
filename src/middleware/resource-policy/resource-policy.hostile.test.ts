import { afterAll, describe, expect, it } from 'vitest';
import { describeEachFramework, type Framework } from '../../../test/support/frameworks.js';
import { RawConnection, startRecordingUpstream } from '../../../test/support/raw-http.js';
import { proxy } from '../proxy/index.js';
import { resourcePolicy } from './index.js';
import { resolvedPath, stagePath } from './paths.js';
import type { ResourcePolicyDocument, ResourcePolicyStatement } from './types.js';

const statement = (
  Effect: 'Allow' | 'Deny',
  Resource: string,
  Condition?: ResourcePolicyStatement['Condition'],
): ResourcePolicyStatement => ({
  Effect,
  Principal: { AWS: '*' },
  Action: 'execute-api:*',
  Resource,
  ...(Condition === undefined ? {} : { Condition }),
});

const routes = ['/admin', '/admin/users', '/pets', '/public/:name', '/public/a.txt'].map(
  (path) => ({ method: 'GET', path, reply: { body: { route: path } } }),
);

/** Sends `target` exactly as written (a URL parser would resolve its dot segments first). */
async function rawGet(url: string, target: string) {
  const conn = await RawConnection.open(url);
  try {
    conn.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    return await conn.response('GET');
  } finally {
    conn.destroy();
  }
}

/** Sends each target and expects a 403 (from an explicit Deny when `explicit`). */
async function expectRefused(url: string, targets: readonly string[], explicit = false) {
  for (const target of targets) {
    const res = await rawGet(url, target);
    expect(res?.status, target).toBe(403);
    if (explicit) expect(res?.body, target).toMatch(/with an explicit deny/);
  }
}

/**
 * Shows `wayIn` reaching an upstream as /admin through the proxy alone (the spelling is a real
 * way in), then every one of `targets` refused with `policy` in front, the upstream asked nothing.
 */
async function expectProxyGuarded(
  fw: Framework,
  policy: ResourcePolicyDocument,
  wayIn: string,
  targets: readonly string[],
  explicit = false,
) {
  const upstream = await startRecordingUpstream();
  afterAll(() => upstream.close());
  const open = await fw.start({ use: [proxy(upstream.url)] });
  expect((await rawGet(open.url, wayIn))?.status).toBe(200);
  expect(upstream.requests.map((r) => r.url)).toEqual(['/admin']);
  const guarded = await fw.start({ use: [resourcePolicy(policy), proxy(upstream.url)] });
  await expectRefused(guarded.url, targets, explicit);
  expect(upstream.requests).toHaveLength(1);
}

describe('resolvedPath()', () => {
  it('reads a path as the most lenient upstream would, or refuses it', () => {
    expect(resolvedPath('/pets/1')).toBe('/pets/1');
    expect(resolvedPath('/pets/%2e%2e/admin')).toBe('/admin');
    expect(resolvedPath('/%61dmin')).toBe('/admin');
    expect(resolvedPath('/pets/..%2Fadmin')).toBe('/admin');
    expect(resolvedPath('/pets\\..\\admin')).toBe('/admin');
    expect(resolvedPath('//admin//users/')).toBe('/admin/users/');
    expect(resolvedPath('/a/./b/..')).toBe('/a/');
    expect(resolvedPath('/.well-known/x')).toBe('/.well-known/x');
    expect(resolvedPath('/../admin')).toBeUndefined();
    expect(resolvedPath('/%ff')).toBeUndefined();
  });

  it('drops path parameters (`;x`), which servlet containers strip before resolving', () => {
    expect(resolvedPath('/admin;x')).toBe('/admin');
    expect(resolvedPath('/public/..;/admin')).toBe('/admin');
    expect(resolvedPath('/public/%2e%2e%3bx/admin')).toBe('/admin');
    expect(resolvedPath('/a;b/c;d/')).toBe('/a/c/');
  });

  it('leaves out the stage segment only when it is one', () => {
    expect(stagePath('/prod/pets', 'prod', false)).toBe('/pets');
    expect(stagePath('/prod', 'prod', false)).toBe('/');
    expect(stagePath('/PROD/pets', 'prod', true)).toBe('/pets');
    expect(stagePath('/PROD/pets', 'prod', false)).toBe('/PROD/pets');
    expect(stagePath('/production/pets', 'prod', false)).toBe('/production/pets');
    expect(stagePath('/pets', undefined, false)).toBe('/pets');
  });
});

describe('resourcePolicy() against policies that would condition nothing', () => {
  it('throws at start-up on an operator with no key, which would hold for every request', () => {
    // IAM's grammar gives each operator at least one key; an empty block is a deleted value.
    for (const operator of ['IpAddress', 'StringNotEquals']) {
      const Condition = { [operator]: {} };
      for (const Effect of ['Allow', 'Deny'] as const)
        expect(() =>
          resourcePolicy({ Statement: statement(Effect, 'execute-api:/*', Condition) }),
        ).toThrow(
          /option "policy.Statement\[0\].Condition.\w+" must be an object of condition keys/,
        );
    }
  });
});

describeEachFramework('resourcePolicy() against hostile paths and addresses', (fw) => {
  describe('a Deny on /admin*', () => {
    const policy = {
      Statement: [
        statement('Allow', 'execute-api:/*'),
        statement('Deny', 'execute-api:/*/*/admin*'),
      ],
    };

    it('holds for every spelling that the router or an upstream reads as /admin', async () => {
      const app = await fw.start({ use: [resourcePolicy(policy)], routes });
      for (const target of [
        '/admin',
        '/pets/%2e%2e/admin',
        '/pets/%2E%2E/admin/users',
        '/pets/../admin',
        '/./admin',
        '/%61dmin',
        '/pets/..%2fadmin',
        '/pets\\..\\admin',
        '//admin',
        '/ADMIN/users',
      ]) {
        const res = await rawGet(app.url, target);
        expect(res?.status, target).toBe(403);
        expect(res?.body, target).toMatch(/with an explicit deny/);
      }
      expect((await rawGet(app.url, '/pets'))?.status).toBe(200);
      const port = new URL(app.url).port;
      for (const target of [`http://127.0.0.1:${port}/admin`, `HTTP://127.0.0.1:${port}/ADMIN`])
        expect((await rawGet(app.url, target))?.status, target).toBe(403);
    });

    it('keeps /admin from an upstream behind the proxy, which resolves the dots', async () => {
      const targets = ['/pets/%2e%2e/admin', '/pets/%2E%2E/%61dmin', '/%2e/admin'];
      await expectProxyGuarded(fw, policy, '/pets/%2e%2e/admin', targets);
    });

    it('refuses a path that climbs above the root or is not UTF-8, and never crashes', async () => {
      const app = await fw.start({ use: [resourcePolicy(policy)], routes });
      for (const target of ['/../admin', '/pets/../../x', '/%ff%fe', `/${'%2e%2e/'.repeat(500)}`]) {
        const res = await rawGet(app.url, target);
        expect(res?.status, target).toBe(403);
      }
      const long = await rawGet(app.url, `/pets/${'a'.repeat(8000)}`);
      expect(long?.status).not.toBe(403);
    });
  });

  describe('an Allow on /public/* only', () => {
    const policy = { Statement: statement('Allow', 'execute-api:/*/GET/public/*') };

    it('admits only a path that is under /public in both spellings', async () => {
      const app = await fw.start({ use: [resourcePolicy(policy)], routes });
      expect((await rawGet(app.url, '/public/a.txt'))?.status).toBe(200);
      expect((await rawGet(app.url, '/public/%61.txt'))?.status).not.toBe(403);
      await expectRefused(app.url, [
        '/public/../admin',
        '/public/%2e%2e/admin',
        '/public/..%2Fadmin',
        '/public/..;/admin',
        '/public/%2e%2e%3b/admin',
      ]);
    });
  });

  describe('a Deny on /admin alone, under an Allow on *', () => {
    const policy = {
      Statement: [statement('Allow', '*'), statement('Deny', 'execute-api:/*/GET/admin')],
    };

    it('holds for a path an upstream reads as /admin but this gateway cannot read', async () => {
      const app = await fw.start({ use: [resourcePolicy(policy)], routes });
      // `;x` is a servlet container's path parameter; `%ff` is not UTF-8, and `/../` climbs
      // above the root (RFC 3986 §5.2.4 resolves both to /admin).
      const targets = ['/admin;x', '/pets/..;/admin', '/%ff/../admin', '/../admin'];
      await expectRefused(app.url, targets, true);
      expect((await rawGet(app.url, '/pets'))?.status).toBe(200);
    });

    it('keeps /admin from the proxy, which resolves the dots after a segment not UTF-8', async () => {
      const targets = ['/%ff/../admin', '/x/%c0%ae%c0%ae/../admin'];
      await expectProxyGuarded(fw, policy, '/%ff/../admin', targets, true);
    });
  });

  describe('a Resource written with a trailing slash, and a router that ignores one', () => {
    it('covers /admin and /admin/ alike, which the router serves from one route', async () => {
      const denied = (Resource: string) => ({
        Statement: [statement('Allow', '*'), statement('Deny', Resource)],
      });
      for (const resource of ['execute-api:/*/GET/admin/', 'execute-api:/*/GET/admin/*']) {
        const app = await fw.start({ use: [resourcePolicy(denied(resource))], routes });
        await expectRefused(app.url, ['/admin/', '/admin'], true);
        expect((await rawGet(app.url, '/pets/'))?.status, resource).not.toBe(403);
      }
      const allowed = { Statement: statement('Allow', 'execute-api:/*/GET/pets/') };
      const app = await fw.start({ use: [resourcePolicy(allowed)], routes });
      expect((await rawGet(app.url, '/pets/'))?.status).not.toBe(403);
      await expectRefused(app.url, ['/admin/', '/']);
      // A router that tells them apart is matched as written.
      const strict = await fw.start({
        use: [resourcePolicy(denied('execute-api:/*/GET/admin/'), { strictRouting: true })],
        routes,
      });
      await expectRefused(strict.url, ['/admin/'], true);
      expect((await rawGet(strict.url, '/admin'))?.status).toBe(200);
    });
  });

  describe('a Deny on NotResource /public/*, under an Allow on *', () => {
    const policy = {
      Statement: [
        statement('Allow', '*'),
        {
          Effect: 'Deny' as const,
          Principal: '*' as const,
          Action: 'execute-api:Invoke',
          NotResource: 'execute-api:/*/*/public/*',
        },
      ],
    };

    it('refuses what leaves /public once resolved, readable or not', async () => {
      const app = await fw.start({ use: [resourcePolicy(policy)], routes });
      expect((await rawGet(app.url, '/public/a.txt'))?.status).toBe(200);
      const targets = [
        '/admin',
        '/public/..;/admin',
        '/public/%ff/../../admin',
        '/public/../../admin',
      ];
      await expectRefused(app.url, targets);
    });
  });

  describe('aws:SourceIp and the trust-proxy setting', () => {
    const onlyTen = {
      Statement: statement('Allow', 'execute-api:/*', {
        IpAddress: { 'aws:SourceIp': '10.0.0.0/8' },
      }),
    };
    const denyLoopback = {
      Statement: [
        statement('Allow', 'execute-api:/*'),
        statement('Deny', 'execute-api:/*', { IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } }),
      ],
    };
    const forged = { headers: { 'x-forwarded-for': '10.1.2.3' } };

    it('ignores an X-Forwarded-For the app does not trust', async () => {
      const allowApp = await fw.start({ use: [resourcePolicy(onlyTen)], routes });
      expect((await allowApp.request('/pets', forged)).status).toBe(403);
      const denyApp = await fw.start({ use: [resourcePolicy(denyLoopback)], routes });
      expect((await denyApp.request('/pets', forged)).status).toBe(403);
    });

    it('uses the forwarded address when the app trusts its proxy', async () => {
      const allowApp = await fw.start({
        trustProxy: true,
        use: [resourcePolicy(onlyTen)],
        routes,
      });
      expect((await allowApp.request('/pets', forged)).status).toBe(200);
      const denyApp = await fw.start({
        trustProxy: true,
        use: [resourcePolicy(denyLoopback)],
        routes,
      });
      expect((await denyApp.request('/pets', forged)).status).toBe(200);
      expect((await denyApp.request('/pets')).status).toBe(403);
    });

    it('refuses garbage in a trusted X-Forwarded-For rather than guessing', async () => {
      const app = await fw.start({ trustProxy: true, use: [resourcePolicy(denyLoopback)], routes });
      for (const garbage of ['unknown', '10.0.0.1:443', '[::1]', 'x'.repeat(4000)]) {
        const res = await app.request('/pets', { headers: { 'x-forwarded-for': garbage } });
        expect(res.status, garbage).toBe(403);
      }
    });
  });
});
