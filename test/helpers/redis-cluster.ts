import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '../../src/demo/local-redis.js';
import { parseInfo } from '../../src/redis/server-checks.js';

const run = promisify(execFile);

export type ClusterNode = {
  readonly port: number;
  /** SIGKILL the node (a crashed host): its replica is promoted after `cluster-node-timeout`. */
  kill(): Promise<void>;
  /** Start a killed node again: it rejoins from its nodes.conf, empty (a replica if it was failed over). */
  restart(): void;
  /** SIGSTOP / SIGCONT: the node hangs with its connections open (failed over if it lasts). */
  freeze(): void;
  thaw(): void;
};

export type LocalCluster = {
  /** `127.0.0.1:P,...`: the value of `REDIS_CLUSTER_NODES`. */
  readonly nodesSetting: string;
  readonly nodes: readonly ClusterNode[];
  /** `redis-cli -p port ARGS...` on one node: its reply as text. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The port of the master serving `key`'s slot now. */
  masterOf(key: string): Promise<number>;
  /** Resolves when every live node says `cluster_state:ok` and every slot has a live master. */
  waitHealthy(): Promise<void>;
  stop(): Promise<void>;
};

export type LocalClusterOptions = {
  readonly masters: number;
  /** Replicas per master (0 or 1 here). */
  readonly replicas?: number;
  /**
   * TLS only (clients, the cluster bus and replication), with `server.crt`, `server.key` and
   * `ca.crt` from this directory (see makeCertificates in redis-tls.ts).
   */
  readonly tlsDir?: string;
};

/** Small timeouts: a killed master's replica takes over within a couple of seconds. */
const NODE_TIMEOUT_MS = 1000;

/**
 * Starts a Redis Cluster on free loopback ports in a temporary directory: `masters` masters
 * (and `replicas` replicas each), made with `redis-cli --cluster create`, ready when every node
 * says `cluster_state:ok`. Nothing is kept on disk. Stop it in `after()`.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const replicas = options.replicas ?? 0;
  const count = options.masters * (1 + replicas);
  const dir = await mkdtemp(join(tmpdir(), 'tts-cluster-'));
  const children: ChildProcess[] = [];
  const nodes: ClusterNode[] = [];
  const tlsDir = options.tlsDir;
  const cliTls = tlsDir === undefined ? [] : ['--tls', '--cacert', join(tlsDir, 'ca.crt')];
  const cli = async (port: number, ...args: string[]) =>
    (await run('redis-cli', [...cliTls, '-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 2000 }))
      .stdout;

  const stop = async () => {
    for (const node of nodes) node.thaw();
    await Promise.all(nodes.map((node) => node.kill()));
    await rm(dir, { recursive: true, force: true });
  };

  // A port handed out here is not bound until its server starts: never hand it out twice.
  const handedOut = new Set<number>();
  const uniquePort = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (handedOut.has(port)) continue;
      handedOut.add(port);
      return port;
    }
  };

  try {
    for (let i = 0; i < count; i += 1) {
      const port = await uniquePort();
      // The cluster bus defaults to port + 10000, which may be taken or past 65535.
      const busPort = await uniquePort();
      const nodeDir = join(dir, String(port));
      await mkdir(nodeDir);
      const listen =
        tlsDir === undefined
          ? ['--port', String(port)]
          : ['--port', '0', '--tls-port', String(port), '--tls-cluster', 'yes', '--tls-replication', 'yes',
             '--tls-cert-file', join(tlsDir, 'server.crt'), '--tls-key-file', join(tlsDir, 'server.key'),
             '--tls-ca-cert-file', join(tlsDir, 'ca.crt'), '--tls-auth-clients', 'no']; // prettier-ignore
      const args = [
          ...listen, '--cluster-port', String(busPort), '--bind', '127.0.0.1',
          '--dir', nodeDir, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
          '--cluster-node-timeout', String(NODE_TIMEOUT_MS), '--save', '', '--appendonly', 'no',
          '--maxmemory-policy', 'noeviction',
        ]; // prettier-ignore
      const index = children.length;
      const start = () => (children[index] = spawn('redis-server', args, { stdio: 'ignore' }));
      start();
      nodes.push({
        port,
        async kill() {
          const child = children[index];
          if (!child || child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, 'exit');
          child.kill('SIGKILL');
          await exited;
        },
        restart: () => void start(),
        freeze: () => children[index]?.kill('SIGSTOP'),
        thaw: () => children[index]?.kill('SIGCONT'),
      });
    }
    for (const node of nodes) await waitForPing(cli, node.port);
    await run('redis-cli', [
      ...cliTls,
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
  } catch (error) {
    await stop();
    throw error;
  }

  const live = () =>
    nodes.filter((_, i) => children[i]?.exitCode === null && children[i]?.signalCode === null);

  const waitHealthy = async () => {
    for (let i = 0; i < 400; i += 1) {
      const states = await Promise.all(
        live().map(async (node) => parseInfo(await cli(node.port, 'cluster', 'info').catch(() => ''))),
      );
      const ok = states.every(
        (info) => info.get('cluster_state') === 'ok' && info.get('cluster_slots_ok') === '16384',
      );
      const synced = await replicasSynced(cli, live());
      if (ok && synced) return;
      await delay(50);
    }
    throw new Error('the local Redis Cluster did not become healthy');
  };

  await waitHealthy().catch(async (error: unknown) => {
    await stop();
    throw error;
  });

  return {
    nodesSetting: nodes.map((node) => `127.0.0.1:${node.port}`).join(','),
    nodes,
    cli,
    async masterOf(key) {
      const anyNode = live()[0];
      if (!anyNode) throw new Error('no live node');
      const slot = Number((await cli(anyNode.port, 'cluster', 'keyslot', key)).trim());
      const lines = (await cli(anyNode.port, 'cluster', 'nodes')).trim().split('\n');
      for (const line of lines) {
        const [, address, flags, , , , , , ...ranges] = line.split(' ');
        if (!flags?.includes('master') || flags.includes('fail')) continue;
        for (const range of ranges) {
          const [from, to] = range.split('-').map(Number);
          if (from !== undefined && slot >= from && slot <= (to ?? from))
            return Number(address?.split('@')[0]?.split(':')[1]);
        }
      }
      throw new Error(`no master serves slot ${slot}`);
    },
    waitHealthy,
    stop,
  };
}

async function waitForPing(cli: LocalCluster['cli'], port: number): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    if ((await cli(port, 'ping').catch(() => '')).trim() === 'PONG') return;
    await delay(25);
  }
  throw new Error(`redis-server did not start on port ${port}`);
}

/** Every replica among `nodes` has its link to its master up. */
async function replicasSynced(cli: LocalCluster['cli'], nodes: readonly ClusterNode[]): Promise<boolean> {
  for (const node of nodes) {
    const info = parseInfo(await cli(node.port, 'info', 'replication').catch(() => ''));
    if (info.get('role') === 'slave' && info.get('master_link_status') !== 'up') return false;
  }
  return true;
}
