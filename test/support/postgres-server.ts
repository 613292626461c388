/**
 * A throwaway Postgres of the test file's own: `initdb` in a temporary directory, a server on a
 * free port of 127.0.0.1, removed again by `stop()`. Locally the tests skip with a clear message
 * when the binaries are absent; with REQUIRE_POSTGRES=1 (CI) that fails the run instead.
 * Binaries: POSTGRES_BIN (a directory), else the newest /usr/lib/postgresql/<version>/bin (Debian,
 * Ubuntu), else `initdb` on the PATH.
 */

import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { freePort } from './redis-server.js';

const REQUIRED = process.env.REQUIRE_POSTGRES === '1';
/** Postgres refuses to run as root: as root, its commands run as this user. */
const SERVER_USER = 'postgres';

export interface OwnPostgres {
  /** `postgres://...` for `pg`'s `Pool({ connectionString })`. */
  readonly connectionString: string;
  /** Stops the server at once and deletes its data directory. */
  stop(): Promise<void>;
}

/** The directory holding `initdb` and `pg_ctl`, or undefined. */
function binaries(): string | undefined {
  const fromEnv = process.env.POSTGRES_BIN;
  if (fromEnv !== undefined) return fromEnv;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin/pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(debian, versions[0], 'bin');
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** The uid and gid of `user`, or undefined when there is no such user. */
function idsOf(user: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
    return { uid, gid };
  } catch {
    return undefined;
  }
}

function skipOrFail(reason: string): undefined {
  if (REQUIRED) throw new Error(`REQUIRE_POSTGRES=1 but ${reason}`);
  console.warn(`[postgres tests skipped] ${reason} (install postgresql, or set POSTGRES_BIN)`);
  return undefined;
}

/**
 * Starts a private Postgres (about a second: no fsync, trust authentication on 127.0.0.1 only),
 * or returns undefined (locally) when it cannot. One per test file: call it at the top level.
 */
export async function startOwnPostgres(): Promise<OwnPostgres | undefined> {
  const bin = binaries();
  if (bin === undefined || !existsSync(join(bin, 'initdb')))
    return skipOrFail('no Postgres binaries (initdb, pg_ctl) found');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? idsOf(SERVER_USER) : undefined;
  if (asRoot && owner === undefined)
    return skipOrFail(`running as root and there is no "${SERVER_USER}" user to run Postgres as`);

  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pg-'));
  // mkdtemp makes it 0700 and ours: the server's user must own it.
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const run = (tool: string, args: string[]) => {
    const command = asRoot ? 'runuser' : join(bin, tool);
    const argv = asRoot ? ['-u', SERVER_USER, '--', join(bin, tool), ...args] : args;
    try {
      execFileSync(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    } catch (err) {
      const { stdout, stderr } = err as { stdout?: string; stderr?: string };
      throw new Error(`${tool} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
    }
  };

  run('initdb', ['-D', data, '-U', 'portcullis', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  let running = false;
  const stopNow = () => {
    if (!running) return;
    running = false;
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const log = join(dir, 'log');
  /** Starts the server on `port`; `running` says whether it did (the port may be taken meanwhile). */
  const startOn = (port: number): void => {
    const serverOptions = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
    ].join(' ');
    running = true;
    try {
      // -t: a loaded machine may take longer than pg_ctl's default 60 s.
      run('pg_ctl', ['-D', data, '-o', serverOptions, '-l', log, '-t', '120', '-w', 'start']);
    } catch {
      // Whatever half-started must not outlive the attempt.
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {}
      running = false;
    }
  };
  let port = 0;
  for (let attempt = 0; attempt < 3 && !running; attempt++) {
    port = await freePort();
    startOn(port);
  }
  if (!running) {
    const output = existsSync(log) ? readFileSync(log, 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Postgres did not start (3 attempts); its log:\n${output}`);
  }
  // A test run that dies before `stop()` must not leave a server behind.
  process.once('exit', stopNow);
  return {
    connectionString: `postgres://portcullis@127.0.0.1:${port}/postgres`,
    stop: async () => {
      process.off('exit', stopNow);
      stopNow();
    },
  };
}

/**
 * A rate-limiter-flexible Postgres limiter on `table`, resolved once the table exists (it creates
 * it; calls before that fail). `points` and `duration` are required by the class, unused by the
 * quota store.
 */
export function postgresLimiter(
  client: pg.Pool,
  table: string,
  keyPrefix: string,
): Promise<RateLimiterPostgres> {
  return new Promise((resolve, reject) => {
    const limiter = new RateLimiterPostgres(
      { storeClient: client, tableName: table, keyPrefix, points: 1, duration: 0 },
      (err?: Error) => (err === undefined ? resolve(limiter) : reject(err)),
    );
  });
}
