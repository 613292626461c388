/**
 * A private Redis server for the redisStore cases (so that nobody else's commands are counted),
 * pinned with the load generator, and the command counts of `INFO commandstats`.
 */

import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
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

/** Starts redis-server (no persistence) on a free port of 127.0.0.1; resolves `{ port, stop }`. */
export async function startRedis() {
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
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
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
