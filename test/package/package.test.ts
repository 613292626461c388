/**
 * Packs portcullis, installs the tarball into a throwaway app outside the repository, and uses it
 * the way a consumer would: ESM import, CJS require, the framework entries, and a strict
 * type-check of Express and Koa apps with no casts. Needs `npm run build` first (`npm test` does it).
 */

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const versionOf = (name: string): string =>
  (
    JSON.parse(
      readFileSync(require.resolve(`${name}/package.json`, { paths: [root] }), 'utf8'),
    ) as { version: string }
  ).version;

let app: string;

const execFileAsync = promisify(execFile);

/**
 * Runs a command and resolves its stdout. Asynchronous on purpose: a worker blocked for a minute
 * in a synchronous child process (a type-check on a loaded machine) misses vitest's RPC replies
 * and fails the run with "Timeout calling onTaskUpdate".
 */
async function run(command: string, args: string[], cwd = app): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

beforeAll(async () => {
  if (!existsSync(join(root, 'dist/index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  app = mkdtempSync(join(tmpdir(), 'portcullis-consumer-'));
  const tarball = (await run('npm', ['pack', '--silent', '--pack-destination', app], root))
    .trim()
    .split('\n')
    .pop()!;
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  // Same versions as the repository's own, so that npm's cache serves them.
  const deps = ['express', 'koa', '@types/express', '@types/koa', '@types/node', 'typescript'].map(
    (name) => `${name}@${versionOf(name)}`,
  );
  await run('npm', [
    'install',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    `./${tarball}`,
    ...deps,
  ]);
}, 120_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

/** A script that serves one request through gateway.cors() in Express and Koa and prints the ACAO headers. */
const SERVE_BOTH = `
const once = async (handler) => {
  const server = http.createServer(handler);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const res = await fetch('http://127.0.0.1:' + port + '/x', { headers: { origin: 'https://a.example' } });
  server.close();
  return res.headers.get('access-control-allow-origin') + ' ' + res.status;
};
const e = express();
e.use(gateway.cors());
e.get('/x', (req, res) => res.send(req.gateway.requestId ? 'ok' : 'no context'));
const k = new Koa();
k.use(gateway.cors());
k.use((ctx) => { ctx.body = ctx.state.gateway.requestId ? 'ok' : 'no context'; });
console.log(await once(e), await once(k.callback()));
`;

describe('the packed package', () => {
  it('imports as ESM and serves Express and Koa', async () => {
    writeFileSync(
      join(app, 'esm.mjs'),
      `import http from 'node:http'; import express from 'express'; import Koa from 'koa';\nimport { gateway } from 'portcullis';\n${SERVE_BOTH}`,
    );
    expect((await run('node', ['esm.mjs'])).trim()).toBe('* 200 * 200');
  });

  it('requires as CommonJS and serves Express and Koa', async () => {
    writeFileSync(
      join(app, 'cjs.cjs'),
      `const http = require('node:http'); const express = require('express'); const Koa = require('koa');\nconst { gateway } = require('portcullis');\n(async () => {${SERVE_BOTH}})();`,
    );
    expect((await run('node', ['cjs.cjs'])).trim()).toBe('* 200 * 200');
  });

  it('exposes the framework entries in both module systems', async () => {
    const script = `import * as e from 'portcullis/express'; import * as k from 'portcullis/koa'; import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
import { redisStore } from 'portcullis/redis';
import { rateLimiterFlexibleQuota } from 'portcullis/rate-limiter-flexible';
console.log(typeof e.gateway.cors, typeof k.gateway.cors, typeof require('portcullis/express').cors, typeof require('portcullis/koa').cors, typeof redisStore, typeof require('portcullis/redis').redisStore, typeof rateLimiterFlexibleQuota, typeof require('portcullis/rate-limiter-flexible').rateLimiterFlexibleQuota);`;
    writeFileSync(join(app, 'entries.mjs'), script);
    // Neither ioredis nor rate-limiter-flexible is installed in the consumer: no entry may need
    // one at load time.
    expect((await run('node', ['entries.mjs'])).trim()).toBe(
      'function function function function function function function function',
    );
  });

  it('loads prom-client only when metrics() is called, naming it when missing, in ESM and CJS', async () => {
    const call = `try { gateway.cors(); gateway.metrics(); console.log('loaded'); } catch (err) { console.log(err.message); }`;
    writeFileSync(join(app, 'metrics.mjs'), `import { gateway } from 'portcullis';\n${call}`);
    writeFileSync(join(app, 'metrics.cjs'), `const { gateway } = require('portcullis');\n${call}`);
    const missing = /the "prom-client" package is not installed.*npm install prom-client/;
    expect(await run('node', ['metrics.mjs'])).toMatch(missing);
    expect(await run('node', ['metrics.cjs'])).toMatch(missing);
    await run('npm', [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      `prom-client@${versionOf('prom-client')}`,
    ]);
    expect((await run('node', ['metrics.mjs'])).trim()).toBe('loaded');
    expect((await run('node', ['metrics.cjs'])).trim()).toBe('loaded');
  }, 120_000);

  it('type-checks Express and Koa apps without casts (ESM and CJS resolution)', async () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      `import express from 'express';
import Koa from 'koa';
import { gateway, type GatewayContext } from 'portcullis';

const app = express();
app.use(gateway.cors());
app.use(gateway.cors({ origin: ['https://app.example.com'], credentials: true }));
app.get('/weather', gateway.cache(300), (_req, res) => {
  res.json({ tempC: 21 });
});
const plans = gateway.usagePlans({
  plans: { free: { throttle: { rate: 1, burst: 5 }, quota: { limit: 100, period: 'day' } } },
  keys: [{ id: 'a', key: 'a-key-of-twenty-chars-or-more', plan: 'free' }],
});
app.use('/api', plans, gateway.throttle({ rate: 10, key: 'apiKey' }));
void plans.createKey({ plan: 'free' }).then(({ id, key }) => id.length + key.length);
const cached = gateway.cache({ ttl: 60, query: ['city'] });
const orders = gateway.proxy({ target: 'http://127.0.0.1:9000', timeout: 5000 });
app.use('/orders', cached, orders);
app.use('/stages', gateway.proxy({ target: (req) => (req.path.startsWith('/dev') ? 'http://127.0.0.1:9001' : 'http://127.0.0.1:9002') }));
void cached.invalidate('/weather');
app.get('/x', gateway.cors(), (req, res) => {
  const context: GatewayContext | undefined = req.gateway;
  res.json({ id: context?.requestId });
});

const koa = new Koa();
koa.use(gateway.cors());
koa.use(gateway.cache(60));
koa.use(gateway.throttle({ rate: 5, key: (ctx) => ctx.ip }));
koa.use(gateway.proxy({ target: 'http://127.0.0.1:9000', prefix: '/orders' }));
const metrics = gateway.metrics({ prefix: 'edge_', perApiKey: true });
app.get('/metrics', metrics.handler);
koa.use(metrics);
koa.use(metrics.handler);
koa.use(async (ctx, next) => {
  await next();
});
export { app, koa };
`,
    );
    // The framework entries type callbacks with the framework's own request.
    writeFileSync(
      join(app, 'typed.ts'),
      `import express from 'express';
import Koa from 'koa';
import { gateway as expressGateway } from 'portcullis/express';
import { gateway as koaGateway } from 'portcullis/koa';

const app = express();
app.use(expressGateway.cors({ origin: (origin, req) => origin.endsWith(req.hostname) }));
const koa = new Koa();
koa.use(koaGateway.cors({ origin: (origin, ctx) => ctx.path !== '/' && origin !== '' }));
export { app, koa };
`,
    );
    const tsconfig = (module: string) =>
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          // @types/koa 3 trips over content-disposition's own bundled types; consumers skip lib checks too.
          skipLibCheck: true,
          module,
          moduleResolution: module,
          target: 'ES2022',
          esModuleInterop: true,
          types: ['node'],
        },
        files: ['consumer.ts', 'typed.ts'],
      });
    writeFileSync(join(app, 'tsconfig.esm.json'), tsconfig('nodenext'));
    writeFileSync(join(app, 'tsconfig.cjs.json'), tsconfig('node16'));
    const tsc = join(app, 'node_modules/typescript/bin/tsc');
    expect(await run('node', [tsc, '-p', 'tsconfig.esm.json'])).toBe('');
    // Without "type": "module" the same file is checked as CommonJS against the .d.cts types.
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    try {
      expect(await run('node', [tsc, '-p', 'tsconfig.cjs.json'])).toBe('');
    } finally {
      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
      );
    }
    // Two full type-checks: ~8 s alone, past 30 s on a loaded machine.
  }, 120_000);

  it('passes publint and are-the-types-wrong (node16 and bundler resolution)', async () => {
    expect(await run('npx', ['--no-install', 'publint', '--strict'], root)).toMatch(/All good/);
    // attw exits non-zero (and `run` rejects with its report) when a problem is found.
    await run(
      'npx',
      ['--no-install', 'attw', '--pack', '.', '--profile', 'node16', '--format', 'ascii'],
      root,
    );
  }, 120_000);
});
