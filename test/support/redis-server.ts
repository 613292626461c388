/**
 * A throwaway redis-server (or valkey-server) of the test's own on a free port, to stop and
 * restart at will.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

function runs(binary: string): boolean {
  try {
    execFileSync(binary, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function hasRedisServer(): boolean {
  return runs('redis-server');
}

/**
 * The Valkey server to test against: `VALKEY_SERVER` (a path), else `valkey-server` on the PATH;
 * undefined when neither runs (and an error under REQUIRE_VALKEY=1, as CI sets where it installs one).
 */
export function valkeyServer(): string | undefined {
  const binary = process.env.VALKEY_SERVER ?? 'valkey-server';
  if (runs(binary)) return binary;
  if (process.env.REQUIRE_VALKEY === '1')
    throw new Error(`REQUIRE_VALKEY=1 but ${binary} does not run`);
  console.warn('[valkey tests skipped] no valkey-server (set VALKEY_SERVER or install one)');
  return undefined;
}

/** A port nobody listens on now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether nothing listens on `port` of 127.0.0.1 now. */
export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The first port of the kernel's ephemeral range, where `listen(0)` and outgoing connections take theirs. */
function firstEphemeralPort(): number {
  try {
    const first = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > 0 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

const LOWEST_RESTARTABLE_PORT = 12_000;
const RESTARTABLE_SLICES = 4;

/**
 * A free port of 127.0.0.1 for a server that the test kills and starts again on the same port.
 * A port from `listen(0)` will not do: while the server is down, any other test's listener or
 * outgoing connection may be handed that very port, and the restart then fails with EADDRINUSE
 * (seen in CI). So the port is taken below the ephemeral range, which nothing is handed
 * automatically, from a slice of its own for each test worker so that two files running at once
 * do not pick the same one. `taken` are ports this caller already holds.
 */
export async function restartablePort(taken: readonly number[] = []): Promise<number> {
  const end = firstEphemeralPort();
  if (end - LOWEST_RESTARTABLE_PORT < 1_000) return freePort();
  const width = Math.floor((end - LOWEST_RESTARTABLE_PORT) / RESTARTABLE_SLICES);
  const worker = Number(process.env.VITEST_POOL_ID ?? 1);
  const start = LOWEST_RESTARTABLE_PORT + (Math.max(0, worker - 1) % RESTARTABLE_SLICES) * width;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = start + Math.floor(Math.random() * width);
    if (!taken.includes(port) && (await isFree(port))) return port;
  }
  return freePort();
}

export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  /** Kills the server (as a crash would). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Stops the process (SIGSTOP): connections stay open, nothing is answered, nothing is lost. */
  pause(): void;
  /** Lets a paused server run again (SIGCONT): it then runs what it received meanwhile. */
  resume(): void;
}

/** Starts a server of the test's own: `redis-server`, or the `binary` given (a Valkey server). */
export async function startOwnRedis(binary = 'redis-server'): Promise<OwnRedis> {
  const port = await restartablePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child!.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      child!.once('exit', (code) =>
        reject(new Error(`redis-server exited with ${code}: ${output}`)),
      );
    });
  };
  const stop = async () => {
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
  };
}
