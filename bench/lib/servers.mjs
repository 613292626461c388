/** Starts scenario servers in their own processes, pinned to a core, and stops them. */

import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCENARIOS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

/** `taskset` when the machine has it and at least two cores; otherwise no pinning (noted in the results). */
export const canPin =
  spawnSync('taskset', ['-c', '0', 'true']).status === 0 &&
  spawnSync('nproc').stdout?.toString().trim() !== '1';

/** The command line that runs `argv` pinned to `core` (when pinning is possible). */
export function pinned(core, argv) {
  return canPin ? ['taskset', '-c', String(core), ...argv] : argv;
}

const running = new Set();

/**
 * Node or V8 flags for every scenario server, from `BENCH_NODE_ARGS` (space-separated), for
 * experiments such as `BENCH_NODE_ARGS=--single-threaded-gc`; NODE_OPTIONS refuses most V8 flags.
 */
const EXTRA_NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/**
 * Starts `scenarios/<file>` with node, pinned to `core`, and resolves `{ pid, port, stop }` once it
 * prints `READY <port>`. `taskset` execs node, so `pid` is node's own (what /proc/<pid>/stat needs).
 * `startupSeconds`: how long it may take (the scale cases fill their stores first).
 */
export function startServer(
  file,
  { core, args = [], env = {}, nodeArgs = [], label = file, startupSeconds = 20 },
) {
  const argv = pinned(core, [
    process.execPath,
    ...EXTRA_NODE_ARGS,
    ...nodeArgs,
    path.join(SCENARIOS, file),
    ...args,
  ]);
  const child = spawn(argv[0], argv.slice(1), {
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const stop = () =>
    new Promise((resolve) => {
      running.delete(child);
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${label}: did not start within ${startupSeconds} s\n${stderr}`));
    }, startupSeconds * 1000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /READY (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout.resume();
        resolve({ pid: child.pid, port: Number(match[1]), stop, stderr: () => stderr, child });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label}: exited (${signal ?? code}) before listening\n${stderr}`));
    });
  });
}

/** Kills whatever is still running (on error or Ctrl-C), only the processes this module started. */
export function stopAll() {
  for (const child of running) child.kill('SIGTERM');
  running.clear();
}
