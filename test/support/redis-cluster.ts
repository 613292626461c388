/**
 * A throwaway Redis Cluster of the test's own: `masters` redis-servers with `--cluster-enabled
 * yes` on free ports (each with `replicasPerMaster` replicas), joined with `redis-cli --cluster
 * create`, ready once every node says `cluster_state:ok`. Start one per test file: it takes a
 * second or two.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { hasRedisServer, restartablePort } from './redis-server.js';

const run = promisify(execFile);

/** True when a cluster can be started here; throws under REQUIRE_REDIS=1 when it cannot. */
export function canStartCluster(): boolean {
  const available = hasRedisServer();
  if (!available && process.env.REQUIRE_REDIS === '1')
    throw new Error('REQUIRE_REDIS=1 but redis-server is not installed');
  if (!available) console.warn('[redis cluster tests skipped] redis-server is not installed');
  return available;
}

export interface OwnCluster {
  /** Every node's port, masters first (in `redis-cli --cluster create` order). */
  readonly ports: readonly number[];
  /** A new ioredis Cluster client on this cluster (the caller disconnects it). */
  client(options?: ConstructorParameters<typeof Cluster>[1]): Cluster;
  /** The port of the master that serves `key` now. */
  masterOf(key: string): Promise<number>;
  /** Kills the node on `port` (as a crash would). */
  kill(port: number): Promise<void>;
  /**
   * Kills every node (a whole-cluster outage). Their `nodes.conf` stay, so `startAll()` brings
   * back the same cluster; with `persist` their data stays too.
   */
  killAll(): Promise<void>;
  /** Starts every node that is not running, on its port with its config; resolves once healthy. */
  startAll(): Promise<void>;
  /** Resolves once every live node says `cluster_state:ok` and `key`'s slot has a live master. */
  waitHealthy(key?: string): Promise<void>;
  /** Stops every node and removes the config files. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Masters. @default 3 */
  readonly masters?: number;
  /** Replicas of each master. @default 0 */
  readonly replicasPerMaster?: number;
  /**
   * Keeps every acknowledged write on disk (AOF, fsync before each reply), so that a node killed
   * and started again has the counts it had. @default false (a restarted node is empty)
   */
  readonly persist?: boolean;
}

/** A node's client port and cluster bus port. */
interface NodePorts {
  readonly port: number;
  readonly bus: number;
}

/**
 * Starts a redis-server in cluster mode on `port` (its cluster bus on `bus`, not the default
 * port + 10000, which may lie in the ephemeral range); resolves when it accepts connections.
 */
async function startNode(
  { port, bus }: NodePorts,
  root: string,
  persist: boolean,
): Promise<ChildProcess> {
  // A directory per node: the AOF files of several nodes must not share one.
  const dir = join(root, String(port));
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-port',
      String(bus),
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      // A failed master is replaced after a second instead of the default 15.
      '--cluster-node-timeout',
      '1000',
      '--save',
      '',
      '--appendonly',
      persist ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  return child;
}

/**
 * Starts a node on ports that are free and stay its own when it is killed and started again;
 * tries other ports when another process takes the ones found before the node listens.
 */
async function startNodeOnFreePorts(
  root: string,
  persist: boolean,
  taken: number[],
): Promise<[NodePorts, ChildProcess]> {
  for (let attempt = 1; ; attempt++) {
    const port = await restartablePort(taken);
    taken.push(port);
    const ports = { port, bus: await restartablePort(taken) };
    taken.push(ports.bus);
    try {
      return [ports, await startNode(ports, root, persist)];
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

async function clusterInfo(port: number): Promise<string> {
  const node = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  node.on('error', () => undefined);
  try {
    await node.connect();
    return String(await node.call('CLUSTER', 'INFO'));
  } catch {
    return '';
  } finally {
    node.disconnect();
  }
}

export async function startCluster({
  masters = 3,
  replicasPerMaster = 0,
  persist = false,
}: ClusterOptions = {}): Promise<OwnCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cluster-'));
  const count = masters * (1 + replicasPerMaster);
  const ports: number[] = [];
  const buses = new Map<number, number>();
  const nodes = new Map<number, ChildProcess>();
  const taken: number[] = [];
  await Promise.all(
    Array.from({ length: count }, async () => {
      const [{ port, bus }, child] = await startNodeOnFreePorts(dir, persist, taken);
      ports.push(port);
      buses.set(port, bus);
      nodes.set(port, child);
    }),
  );
  await run('redis-cli', [
    '--cluster',
    'create',
    ...ports.map((port) => `127.0.0.1:${port}`),
    '--cluster-replicas',
    String(replicasPerMaster),
    '--cluster-yes',
  ]);

  // A killed process has a signalCode and a null exitCode.
  const running = (child: ChildProcess | undefined) =>
    child !== undefined && child.exitCode === null && child.signalCode === null;
  const live = () => ports.filter((port) => running(nodes.get(port)));
  const masterOf = async (key: string): Promise<number> => {
    for (const port of live()) {
      const node = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
      node.on('error', () => undefined);
      try {
        const slot = Number(await node.call('CLUSTER', 'KEYSLOT', key));
        const shards = (await node.call('CLUSTER', 'SLOTS')) as Array<
          [number, number, [string, number]]
        >;
        const owner = shards.find(([from, to]) => slot >= from && slot <= to);
        if (owner !== undefined && live().includes(owner[2][1])) return owner[2][1];
      } catch {
        // Try the next node.
      } finally {
        node.disconnect();
      }
    }
    throw new Error(`no live master serves ${key}`);
  };
  const waitHealthy = async (key?: string) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const infos = await Promise.all(live().map(clusterInfo));
      const ok = infos.every((info) => info.includes('cluster_state:ok'));
      if (
        ok &&
        (key === undefined ||
          (await masterOf(key).then(
            () => true,
            () => false,
          )))
      )
        return;
      if (Date.now() > deadline) throw new Error(`cluster not healthy: ${infos.join(' | ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const kill = async (port: number) => {
    const child = nodes.get(port);
    if (child === undefined || !running(child)) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  const killAll = async () => {
    await Promise.all(ports.map(kill));
  };
  const startAll = async () => {
    await Promise.all(
      ports
        .filter((port) => !running(nodes.get(port)))
        .map(async (port) => {
          nodes.set(port, await startNode({ port, bus: buses.get(port)! }, dir, persist));
        }),
    );
    await waitHealthy();
  };
  await waitHealthy();
  return {
    ports,
    client: (options) =>
      new Cluster(
        ports.slice(0, masters).map((port) => ({ host: '127.0.0.1', port })),
        options,
      ),
    masterOf,
    kill,
    killAll,
    startAll,
    waitHealthy,
    stop: async () => {
      await killAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
