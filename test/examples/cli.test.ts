/**
 * `portcullis serve` as a user runs it: `node dist/cli.js` (the package's bin, built by
 * `npm run build`) spawned against documents on disk, answering over HTTP, stopped by signals.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../support/http.js';

const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const PETSTORE = resolve(import.meta.dirname, '../../examples/openapi/petstore.yaml');
const PETSTORE_OPTIONS = resolve(import.meta.dirname, '../../examples/openapi/options.mjs');

/** The example's own key, read from its options as a user would copy it. */
const examples = (await import(pathToFileURL(PETSTORE_OPTIONS).href)) as {
  DEMO_KEY: string;
  backend: import('node:http').Server;
};
const DEMO_KEY = examples.DEMO_KEY;

const TINY = `
openapi: 3.0.1
info: { title: tiny, version: '1' }
paths:
  /health:
    get:
      responses:
        '200': { description: ok }
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: '200'
            responseTemplates:
              application/json: '{"status":"ok"}'
`;

let dir = '';
const running: ChildProcess[] = [];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build first');
  dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));
});
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  // Importing the options started their pet service in this process too.
  examples.backend.close();
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end (a command that does not start a server). */
function run(args: string[]): Promise<Exit> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  return collect(child);
}

function collect(child: ChildProcess): Promise<Exit> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Starts `serve` on a free port; resolves with its URL once it says it listens. */
async function serve(
  args: string[],
): Promise<{ url: string; child: ChildProcess; exit: Promise<Exit> }> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  const exit = collect(child);
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk) => {
      seen += chunk;
      const found = /listening at (http:\/\/\S+)/.exec(seen);
      if (found !== null) resolve(found[1]!);
    });
    exit.then((result) => reject(new Error(`exited ${result.code}: ${result.stderr}`)));
  });
  return { url, child, exit };
}

// Each test starts one or more Node processes running the CLI (about half a second of CPU each):
// 4-10 s apiece on a loaded machine, so the default 20 s, a guard against hangs, was seen exceeded.
describe('portcullis serve', { timeout: 60_000 }, () => {
  it('serves a document: a mock route answers, an undefined one is refused as API Gateway does', async () => {
    const { url, child, exit } = await serve([file('tiny.yaml', TINY)]);
    const health = await request(url, '/health');
    expect([health.status, health.body]).toEqual([200, '{"status":"ok"}']);
    const missing = await request(url, '/nothing/here');
    expect([missing.status, missing.body]).toEqual([
      403,
      '{"message":"Missing Authentication Token"}',
    ]);
    const wrongMethod = await request(url, '/health', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(403);
    const taken = await run(['serve', file('tiny.yaml', TINY), '--port', new URL(url).port]);
    expect([taken.code, taken.stderr]).toEqual([
      1,
      expect.stringMatching(/^portcullis: listen EADDRINUSE.*\n$/),
    ]);
    child.kill('SIGINT');
    const { code, stdout, stderr } = await exit;
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /on Koa, listening at http:\/\/127\.0\.0\.1:\d+\n {2}GET {5}http:\/\/127\.0\.0\.1:\d+\/health\n/,
    );
    expect(stderr).toBe('');
  });

  it('serves a JSON document under Express when asked, and stops on SIGTERM', async () => {
    const json = file('tiny.json', JSON.stringify((await import('yaml')).parse(TINY)));
    const { url, child, exit } = await serve([
      json,
      '--framework',
      'express',
      '--host',
      '127.0.0.1',
    ]);
    const health = await request(url, '/health');
    expect([health.status, health.body, health.headers['x-powered-by']]).toEqual([
      200,
      '{"status":"ok"}',
      undefined,
    ]);
    child.kill('SIGTERM');
    expect((await exit).code).toBe(0);
  });

  it('fails with one line naming the pointer for a document that cannot run', async () => {
    const bad = file(
      'bad.yaml',
      "openapi: 3.0.1\ninfo: { title: bad, version: '1' }\npaths:\n  /pets/{id:\n    get:\n      responses: { '200': { description: ok } }\n",
    );
    const { code, stdout, stderr } = await run(['serve', bad, '--port', '0']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^portcullis: .*bad\.yaml: \/paths\/~1pets~1\{id: .+\n$/);
  });

  it('fails with one line for a file that is not YAML, a missing file, a bad config', async () => {
    const tiny = file('tiny.yaml', TINY);
    const throwing = file('throwing.mjs', "throw new Error('no secrets here');\n");
    const wrongOption = file('wrong.cjs', 'module.exports = { unmatched: "sometimes" };\n');
    // At once, as in the test below: one Node process after another is slow on a loaded machine.
    const [notYaml, missing, badConfig, refused] = await Promise.all([
      run(['serve', file('broken.yaml', 'openapi: [\n'), '--port', '0']),
      run(['serve', join(dir, 'absent.yaml')]),
      run(['serve', tiny, '--config', throwing]),
      run(['serve', tiny, '--config', wrongOption]),
    ]);
    expect([notYaml.code, notYaml.stderr]).toEqual([
      1,
      expect.stringMatching(/^portcullis: .*broken\.yaml: line 2, column 1: invalid YAML: .*\n$/),
    ]);
    expect([missing.code, missing.stderr]).toEqual([
      1,
      expect.stringMatching(/^portcullis: cannot read .*absent\.yaml: ENOENT/),
    ]);
    expect([badConfig.code, badConfig.stderr]).toEqual([
      1,
      expect.stringMatching(/^portcullis: --config .*throwing\.mjs: no secrets here\n$/),
    ]);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/unmatched/)]);
  });

  it('refuses a bad port or command line with exit code 2, and prints help', async () => {
    const tiny = file('tiny.yaml', TINY);
    const refusals = [
      ['serve', tiny, '--port', '70000'],
      ['serve', tiny, '--port', 'http'],
      ['serve', tiny, '--port', '-1'],
      ['serve'],
      ['start', tiny],
      ['serve', tiny, '--verbose'],
      [],
    ];
    // At once: each is a Node process loading the CLI, and one after another they took longer
    // than the test's time on a loaded machine.
    const [help, exits] = await Promise.all([
      run(['--help']),
      Promise.all(refusals.map((args) => run(args))),
    ]);
    for (const [i, { code, stderr }] of exits.entries()) {
      const args = refusals[i]!.join(' ');
      expect(code, args).toBe(2);
      expect(stderr.split('\n'), args).toHaveLength(2);
    }
    expect([help.code, help.stdout]).toEqual([
      0,
      expect.stringMatching(/^usage: portcullis serve/),
    ]);
  });

  it('reads a CommonJS config (module.exports) and applies it over the defaults', async () => {
    const config = file('options.cjs', "module.exports = { unmatched: 'next' };\n");
    const { url, child, exit } = await serve([file('tiny.yaml', TINY), '--config', config]);
    // Handed on: Koa's own 404, not the gateway's refusal.
    expect((await request(url, '/nothing')).status).toBe(404);
    child.kill('SIGTERM');
    expect((await exit).code).toBe(0);
  });

  it('serves the example petstore with its options: stages, a mock, a Lambda and an API key', async () => {
    const { url, child, exit } = await serve([PETSTORE, '--config', PETSTORE_OPTIONS]);
    const health = await request(url, '/dev/health');
    expect([health.status, health.body, health.headers['cache-control']]).toEqual([
      200,
      '{"status":"ok"}',
      'no-store',
    ]);
    const keyless = await request(url, '/prod/pets');
    expect(keyless.status).toBe(403);
    // The Lambda of options.mjs, called in-process by the CLI's gateway (petstore.test.ts has the rest).
    const pets = await request(url, '/prod/pets?limit=2', { headers: { 'x-api-key': DEMO_KEY } });
    expect([pets.status, pets.headers['x-stage'], (pets.json as unknown[]).length]).toEqual([
      200,
      'prod',
      2,
    ]);
    child.kill('SIGINT');
    expect((await exit).code).toBe(0);
  });
});
