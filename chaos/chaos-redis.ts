import { setTimeout as delay } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { startLocalCluster } from '../test/helpers/redis-cluster.js';
import { startPrivateRedis } from '../test/helpers/redis.js';
import type { RedisCrash } from './options.js';

/** The scenario's Redis: one server, or a cluster whose master of the run's slot is the victim. */
export type ChaosRedis = {
  /** The settings that point commands and workers at it. */
  readonly env: Readonly<Record<string, string>>;
  /** A patient connection for the scenario's own questions. */
  client(): Redis | Cluster;
  kill(): Promise<void>;
  restart(): Promise<void>;
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
};

/** How long a killed master's replica is given to take over (the local cluster's node timeout is ~1 s). */
const TAKE_OVER_MS = 30_000;

/**
 * `aof`/`empty`: a redis-server (with AOF, or keeping nothing), killed and restarted. `failover`:
 * 3 masters with a replica each; the crash SIGKILLs the master of the prefix's slot (its replica
 * takes over with what asynchronous replication had sent it; the killed node rejoins as a
 * replica), the freeze SIGSTOPs the master serving the slot then (failed over too, as it lasts).
 */
export async function startChaosRedis(crash: RedisCrash, prefix: string): Promise<ChaosRedis> {
  const patient = { maxRetriesPerRequest: null, retryStrategy: () => 100 };
  if (crash !== 'failover') {
    const redis = await startPrivateRedis(crash === 'aof' ? { appendonly: true, fsync: 'everysec' } : {});
    return {
      env: { REDIS_URL: redis.url },
      client: () => new Redis(redis.url, patient),
      kill: () => redis.kill(),
      restart: () => redis.restart(),
      freeze: () => redis.freeze(),
      thaw: () => redis.thaw(),
      stop: () => redis.stop(),
    };
  }
  const cluster = await startLocalCluster({ masters: 3, replicas: 1 });
  const masterNow = async () => {
    const port = await cluster.masterOf(prefix);
    const node = cluster.nodes.find((candidate) => candidate.port === port);
    if (!node) throw new Error(`no node on port ${port}`);
    return node;
  };
  let victim = await masterNow();
  let frozen: typeof victim | undefined;
  return {
    env: { REDIS_CLUSTER_NODES: cluster.nodesSetting },
    client: () =>
      new Cluster(
        cluster.nodes.map(({ port }) => ({ host: '127.0.0.1', port })),
        {
          clusterRetryStrategy: () => 100,
          redisOptions: patient,
          retryDelayOnClusterDown: 200,
          maxRedirections: 1000,
        },
      ),
    async kill() {
      victim = await masterNow();
      await victim.kill();
    },
    async restart() {
      // Started again before its replica took over, an empty master would wipe its slots. A
      // replica that is itself frozen (the freeze came first and was failed over to the node
      // killed now) cannot take over: it is thawed, and the wait is bounded either way.
      const tookOver = async () => {
        for (let waited = 0; waited < TAKE_OVER_MS; waited += 50) {
          if ((await cluster.masterOf(prefix).catch(() => victim.port)) !== victim.port) return true;
          await delay(50);
        }
        return false;
      };
      if (!(await tookOver())) {
        if (frozen === undefined)
          throw new Error(`no replica took over from the killed master ${victim.port}`);
        frozen.thaw();
        frozen = undefined;
        if (!(await tookOver()))
          throw new Error(`no replica took over from the killed master ${victim.port}`);
      }
      await cluster.waitHealthy();
      victim.restart();
      await cluster.waitHealthy();
      victim = await masterNow();
    },
    freeze() {
      frozen = victim;
      frozen.freeze();
    },
    thaw() {
      frozen?.thaw();
      frozen = undefined;
    },
    stop: () => cluster.stop(),
  };
}
