// `node --import tsx bench/redis-cluster.ts [rows] [rounds]`: worker throughput on a Redis Cluster
// (3 masters) against a single redis-server, in the same run, on the same machine (issue 16).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startSimulator } from '../src/simulator/server.js';
import { enqueueRowsOk } from '../test/helpers/enqueue-rows.js';
import { spawnWorker } from '../test/helpers/processes.js';
import { startLocalCluster } from '../test/helpers/redis-cluster.js';
import { startPrivateRedis, uniquePrefix } from '../test/helpers/redis.js';
import { log } from './common.js';
import { benchRows } from './fleet.js';

const ROWS = Number(process.argv[2] ?? 600);
const ROUNDS = Number(process.argv[3] ?? 2);
const PROCESSES = 2;
const CONCURRENCY = 32;
/** Short, fixed latency: the queue's own cost (Redis round trips) weighs as much as it can. */
const LATENCY_S = 0.5;

type Setup = { readonly name: string; readonly env: Record<string, string>; stop(): Promise<void> };

async function single(): Promise<Setup> {
  const redis = await startPrivateRedis();
  return { name: 'single redis-server', env: { REDIS_URL: redis.url }, stop: () => redis.stop() };
}

async function cluster(): Promise<Setup> {
  const local = await startLocalCluster({ masters: 3 });
  return {
    name: 'Redis Cluster, 3 masters',
    env: { REDIS_CLUSTER_NODES: local.nodesSetting },
    stop: () => local.stop(),
  };
}

const lines = (path: string) =>
  existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;

/** Rows per second from the first CONCURRENCY manifest lines to the last one. */
async function measure(setup: Setup): Promise<number> {
  const sim = await startSimulator({
    port: 0,
    seed: 5,
    fixedLatencyS: LATENCY_S,
    latencyScale: 1,
    latencySigma: 0,
  });
  const outRoot = await mkdtemp(join(tmpdir(), 'tts-bench-cluster-'));
  const env = {
    ...setup.env,
    TTS_QUEUE_PREFIX: `{${uniquePrefix('bc')}}`,
    TTS_OUT_DIR: outRoot,
    SEGMIND_BASE_URL: sim.url,
    SEGMIND_API_KEY: 'sk-bench-0000',
    SEGMIND_RPM: '1000000',
    TTS_CONCURRENCY: String(CONCURRENCY),
    TTS_SHUTDOWN_GRACE_MS: '200',
    LOG_LEVEL: 'warn',
  };
  const workers = [];
  try {
    const target = { env, run: 'bench', outRoot, scriptPath: join(outRoot, 'bench.jsonl') };
    await enqueueRowsOk(target, benchRows(ROWS, ['gemini-3.1-flash-tts'], 40));
    const manifest = join(outRoot, 'bench', 'manifest.jsonl');
    for (let i = 0; i < PROCESSES; i += 1) workers.push(spawnWorker(env));
    let startedAt = 0;
    for (;;) {
      const done = lines(manifest);
      if (startedAt === 0 && done >= CONCURRENCY) startedAt = performance.now();
      if (done >= ROWS) return (ROWS - CONCURRENCY) / ((performance.now() - startedAt) / 1000);
      await delay(10);
    }
  } finally {
    for (const worker of workers) await worker.kill('SIGTERM');
    await sim.close();
    await rm(outRoot, { recursive: true, force: true });
  }
}

const results = new Map<string, number[]>();
for (let round = 1; round <= ROUNDS; round += 1) {
  for (const start of [single, cluster]) {
    const setup = await start();
    try {
      const rowsPerS = await measure(setup);
      log(`round ${round}: ${setup.name}: ${rowsPerS.toFixed(1)} rows/s`);
      results.set(setup.name, [...(results.get(setup.name) ?? []), rowsPerS]);
    } finally {
      await setup.stop();
    }
  }
}
const ideal = (PROCESSES * CONCURRENCY) / LATENCY_S;
for (const [name, values] of results) {
  const best = Math.max(...values);
  log(
    `${name}: best ${best.toFixed(1)} rows/s (rounds ${values.map((v) => v.toFixed(1)).join(', ')}); ideal ${ideal} rows/s, efficiency ${(best / ideal).toFixed(2)}`,
  );
}
