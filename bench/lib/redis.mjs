/**
 * A private Redis server for the redisStore cases (so that nobody else's commands are counted),
 * and a private three-master Redis Cluster for the cluster cases, pinned with the load generator,
 * and the command counts of `INFO commandstats`.
 */

import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pinned } from './servers.mjs';

/** Whether `redis-server` is installed. */
export const hasRedisServer = !spawnSync('redis-server', ['--version']).error;

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/** One command to Redis over a raw socket (RESP inline), resolving the bulk reply as text. */
function command(port, line) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`${line}\r\n`));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      data += chunk;
      const header = /^\$(\d+)\r\n/.exec(data);
      if (header && data.length >= header[0].length + Number(header[1])) {
        socket.end();
        resolve(data.slice(header[0].length, header[0].length + Number(header[1])));
      } else if (/^[+-]/.test(data) && data.endsWith('\r\n')) {
        socket.end();
        resolve(data.trim());
      }
    });
    socket.on('error', reject);
  });
}

/**
 * Starts redis-server (no persistence, `extra` arguments after) on a free port of 127.0.0.1;
 * resolves `{ port, stop }` once it answers PING.
 */
export async function startRedis(extra = []) {
  const port = await freePort();
  const argv = pinned(0, [
    'redis-server',
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    ...extra,
  ]);
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await command(port, 'PING')) === '+PONG') break;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Starts a three-master Redis Cluster (no replicas) on free ports; resolves `{ ports, stop }` once
 * every node says `cluster_state:ok`.
 */
export async function startRedisCluster() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-cluster-'));
  const nodes = [];
  for (let i = 0; i < 3; i++) {
    const configFile = path.join(dir, `nodes-${i}.conf`);
    nodes.push(await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', configFile]));
  }
  const ports = nodes.map((node) => node.port);
  await promisify(execFile)('redis-cli', [
    '--cluster',
    'create',
    ...ports.map((port) => `127.0.0.1:${port}`),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  for (let i = 0; i < 200; i++) {
    const infos = await Promise.all(ports.map((port) => command(port, 'CLUSTER INFO')));
    if (infos.every((info) => info.includes('cluster_state:ok'))) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    ports,
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `{ command: calls }` from INFO commandstats summed over `ports` (the INFO calls left out). */
export async function commandCountsOf(ports) {
  const total = {};
  for (const counts of await Promise.all(ports.map(commandCounts)))
    for (const [name, calls] of Object.entries(counts)) total[name] = (total[name] ?? 0) + calls;
  return total;
}

/** `{ command: calls }` from INFO commandstats (the INFO calls themselves left out). */
export async function commandCounts(port) {
  const text = await command(port, 'INFO commandstats');
  const counts = {};
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (match[1] !== 'info') counts[match[1]] = Number(match[2]);
  }
  return counts;
}
