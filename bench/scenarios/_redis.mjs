/**
 * portcullis's Redis store on the Redis server the runner starts (BENCH_REDIS_PORT), or on its
 * three-master Redis Cluster (BENCH_REDIS_CLUSTER_PORTS) when the scenario runs with `--cluster`.
 * Resolves once the client is connected, so that start-up work (usage plans load their keys) does
 * not race the connection while thirty servers start at once.
 *
 * Round trips: every command the client sends is counted (ioredis sends each, scripts included,
 * through `sendCommand`); on SIGUSR2 the count is written to BENCH_ROUND_TRIPS_DIR/<pid> as
 * `<signal number> <count>`, which the runner reads before and after a measured run.
 */

import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Redis, { Cluster } from 'ioredis';
import { redisStore } from '../../dist/redis.js';

function connect() {
  if (process.argv.includes('--cluster')) {
    const ports = process.env.BENCH_REDIS_CLUSTER_PORTS?.split(',').map(Number);
    if (!ports)
      throw new Error('BENCH_REDIS_CLUSTER_PORTS is not set: cluster scenarios need the runner');
    return new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
  }
  const port = Number(process.env.BENCH_REDIS_PORT);
  if (!port)
    throw new Error(
      'BENCH_REDIS_PORT is not set: Redis scenarios need the server the runner starts',
    );
  return new Redis({ host: '127.0.0.1', port });
}

function countRoundTrips(client) {
  const dir = process.env.BENCH_ROUND_TRIPS_DIR;
  if (!dir) return;
  let sent = 0;
  let signals = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = (...args) => {
    sent++;
    return send(...args);
  };
  process.on('SIGUSR2', () => {
    signals++;
    writeFileSync(path.join(dir, String(process.pid)), `${signals} ${sent}`);
  });
}

export async function benchRedisStore(prefix) {
  const client = connect();
  await once(client, 'ready');
  countRoundTrips(client);
  return redisStore({ client, prefix });
}
