import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine, UsageError } from './args.js';
import { loadConfig } from './config.js';
import { FrameworkMissingError, type Importer, mountInFramework } from './framework.js';
import { routesOf } from './serve.js';

describe('parseCommandLine()', () => {
  it('reads serve with its defaults and flags', () => {
    expect(parseCommandLine(['serve', 'api.yaml'])).toEqual({
      command: 'serve',
      document: 'api.yaml',
      port: 3000,
      host: '127.0.0.1',
      config: undefined,
      framework: undefined,
    });
    expect(
      parseCommandLine([
        'serve',
        '--port',
        '0',
        'a.json',
        '--host',
        '::1',
        '--config',
        'o.js',
        '--framework',
        'express',
      ]),
    ).toMatchObject({
      document: 'a.json',
      port: 0,
      host: '::1',
      config: 'o.js',
      framework: 'express',
    });
    expect(parseCommandLine(['-h'])).toEqual({ command: 'help' });
    expect(parseCommandLine(['serve', 'x', '--help'])).toEqual({ command: 'help' });
  });

  it('throws a UsageError saying what is wrong', () => {
    const wrong =
      (...argv: string[]) =>
      () =>
        parseCommandLine(argv);
    expect(wrong()).toThrow(UsageError);
    expect(wrong('serve', 'a', '--port', '65536')).toThrow(
      /--port must be a whole number from 0 to 65535, not "65536"/,
    );
    expect(wrong('serve', 'a', '--port', '1e3')).toThrow(/--port/);
    expect(wrong('serve', 'a', '--port')).toThrow(UsageError);
    expect(wrong('serve', 'a', '--framework', 'fastify')).toThrow(
      /--framework must be koa or express/,
    );
    expect(wrong('run', 'a')).toThrow(/unknown command "run"/);
    expect(wrong('serve', 'a', 'b')).toThrow(/unexpected argument "b"/);
    expect(wrong('serve', 'a', '--cors')).toThrow(UsageError);
  });
});

describe('mountInFramework()', () => {
  const notInstalled: Importer = (name) =>
    Promise.reject(
      Object.assign(new Error(`Cannot find package '${name}' imported from /app/cli.js`), {
        code: 'ERR_MODULE_NOT_FOUND',
      }),
    );
  const noop = () => undefined;

  it('names the install command when neither Koa nor Express is installed', async () => {
    await expect(mountInFramework(noop, undefined, notInstalled)).rejects.toThrow(
      new FrameworkMissingError(
        'serve needs Koa or Express, and neither is installed: npm install koa',
      ),
    );
    await expect(mountInFramework(noop, 'express', notInstalled)).rejects.toThrow(
      /npm install express$/,
    );
  });

  it('takes Express when Koa is missing, and does not hide a broken install', async () => {
    const onlyExpress: Importer = (name) => (name === 'koa' ? notInstalled(name) : import(name));
    expect((await mountInFramework(noop, undefined, onlyExpress)).name).toBe('Express');
    expect((await mountInFramework(noop, undefined)).name).toBe('Koa');
    const broken: Importer = () =>
      Promise.reject(
        Object.assign(new Error("Cannot find package 'koa-compose' imported from koa"), {
          code: 'ERR_MODULE_NOT_FOUND',
        }),
      );
    await expect(mountInFramework(noop, undefined, broken)).rejects.toThrow(/koa-compose/);
  });
});

describe('loadConfig()', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('reads a default export, module.exports, named exports, or what a function returns', async () => {
    expect(await loadConfig(file('a.mjs', 'export default { strict: true };'))).toEqual({
      strict: true,
    });
    expect(await loadConfig(file('b.cjs', 'module.exports = { strict: true };'))).toEqual({
      strict: true,
    });
    expect(await loadConfig(file('c.mjs', 'export const strict = true;'))).toEqual({
      strict: true,
    });
    expect(
      await loadConfig(file('d.mjs', 'export default async () => ({ region: "eu" });')),
    ).toEqual({
      region: 'eu',
    });
  });

  it('names the file when it cannot be loaded or exports no options', async () => {
    await expect(loadConfig(join(dir, 'none.mjs'))).rejects.toThrow(/^--config .*none\.mjs: /);
    await expect(loadConfig(file('e.mjs', 'export default 42;'))).rejects.toThrow(
      /e\.mjs: must export the options object/,
    );
    await expect(loadConfig(file('f.mjs', 'export default {'))).rejects.toThrow(/f\.mjs: /);
  });

  it('names the file when its function throws or an option cannot be read', async () => {
    await expect(
      loadConfig(file('g.mjs', 'export default async () => { throw new Error("no key"); };')),
    ).rejects.toThrow(/^--config .*g\.mjs: no key$/);
    await expect(
      loadConfig(file('h.mjs', 'export default () => { throw "a string"; };')),
    ).rejects.toThrow(/^--config .*h\.mjs: a string$/);
    // A getter is read here, once: not later, inside serve, where nothing names the file.
    await expect(
      loadConfig(file('i.mjs', 'export default { get stages() { throw new Error("unset"); } };')),
    ).rejects.toThrow(/^--config .*i\.mjs: unset$/);
  });
});

describe('routesOf()', () => {
  const document = {
    paths: {
      '/pets': { get: {}, post: {}, parameters: [], summary: 'x' },
      '/files/{path+}': { 'x-amazon-apigateway-any-method': {} },
    },
  };

  it('lists each operation under each stage, or at the root', () => {
    expect(routesOf(document, undefined)).toEqual([
      { method: 'GET', path: '/pets' },
      { method: 'POST', path: '/pets' },
      { method: 'ANY', path: '/files/{path+}' },
    ]);
    expect(routesOf(document, { dev: {}, prod: {} }).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /dev/pets',
      'POST /dev/pets',
      'ANY /dev/files/{path+}',
      'GET /prod/pets',
      'POST /prod/pets',
      'ANY /prod/files/{path+}',
    ]);
    expect(routesOf({}, undefined)).toEqual([]);
  });
});
