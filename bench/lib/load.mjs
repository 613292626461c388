/** The load generator: wrk (Debian's) when installed, else autocannon; pinned to core 0. */

import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinned } from './servers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CONNECTIONS = 50;

/** Which tool, and its version string, e.g. `{ name: 'wrk', version: 'wrk debian/4.1.0-3+b2 [epoll]' }`. */
export function detectTool({ forceAutocannon = false } = {}) {
  if (!forceAutocannon) {
    const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
    if (!probe.error) {
      const version = `${probe.stdout}${probe.stderr}`
        .split('\n')[0]
        .replace(/\s*Copyright.*$/, '')
        .trim();
      return { name: 'wrk', version };
    }
  }
  const pkg = JSON.parse(
    spawnSync(process.execPath, ['-p', 'JSON.stringify(require("autocannon/package.json"))'], {
      cwd: path.join(HERE, '..'),
      encoding: 'utf8',
    }).stdout,
  );
  return { name: 'autocannon', version: `autocannon ${pkg.version}` };
}

const scratch = mkdtempSync(path.join(tmpdir(), 'portcullis-bench-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** A wrk Lua script that sends `shape` (method and headers; wrk's -H cannot set the method). */
function wrkScript(shape) {
  const lines = [`wrk.method = ${JSON.stringify(shape.method)}`];
  for (const [name, value] of Object.entries(shape.headers))
    lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  const file = path.join(scratch, `${shape.method}-${Object.keys(shape.headers).join('-')}.lua`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const UNIT_MS = { us: 1e-3, ms: 1, s: 1e3, m: 60e3 };
function parseDuration(text) {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) throw new Error(`wrk: cannot read the duration "${text}"`);
  return Number(match[1]) * UNIT_MS[match[2]];
}

function run(argv) {
  return new Promise((resolve, reject) => {
    execFile(argv[0], argv.slice(1), { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${argv.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Parses wrk's `--latency` report. */
export function parseWrk(out) {
  const num = (re) => {
    const match = re.exec(out);
    return match ? Number(match[1]) : 0;
  };
  const percentile = (p) => {
    const match = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
    return match ? parseDuration(match[1]) : null;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    reqPerSec: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    p50Ms: percentile(50),
    p99Ms: percentile(99),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    errors: socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) : 0,
    timeouts: socket ? Number(socket[4]) : 0,
  };
}

/** Loads `port` with `shape` for `seconds`; resolves `{ reqPerSec, requests, p50Ms, p99Ms, non2xx, errors, timeouts }`. */
export async function load(tool, port, shape, seconds) {
  const url = `http://127.0.0.1:${port}${shape.path}`;
  if (tool.name === 'wrk') {
    const argv = pinned(0, [
      'wrk',
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${seconds}s`,
      '--latency',
      '-s',
      wrkScript(shape),
      url,
    ]);
    return parseWrk(await run(argv));
  }
  const spec = JSON.stringify({
    url,
    method: shape.method,
    headers: shape.headers,
    connections: CONNECTIONS,
    duration: seconds,
  });
  const argv = pinned(0, [process.execPath, path.join(HERE, 'autocannon-child.mjs'), spec]);
  return JSON.parse(await run(argv));
}
