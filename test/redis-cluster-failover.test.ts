import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { once } from 'node:events';
import { Queue, Worker } from 'bullmq';
import { makeRedis } from '../src/redis/connection.js';
import { parseClusterNodes } from '../src/redis/redis-target.js';
import { startSimulator, type RunningSimulator } from '../src/simulator/server.js';
import { watchWorker } from '../src/worker/worker-watchdog.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { enqueueRowsOk, type ScriptRow } from './helpers/enqueue-rows.js';
import { finishedManifest, spawnWorker, until, type SpawnedWorker } from './helpers/processes.js';
import { startLocalCluster, type LocalCluster } from './helpers/redis-cluster.js';
import { uniquePrefix } from './helpers/redis.js';
import { captureLogger } from './helpers/worker.js';

// 3 masters with a replica each; two worker processes; the master serving the run's slot is
// SIGKILLed mid-run. Its replica takes over (asynchronous replication: it may miss the last
// writes), the workers and the commands reconnect by themselves, and the run finishes with every
// row made and no text billed more often than the manifest records.

let cluster: LocalCluster;
let outRoot: string;
let simulator: RunningSimulator;
const workers: SpawnedWorker[] = [];
before(async () => {
  cluster = await startLocalCluster({ masters: 3, replicas: 1 });
  outRoot = await mkdtemp(join(tmpdir(), 'tts-failover-'));
  simulator = await startSimulator({ port: 0, latencyScale: 0.03, seed: 17, rate5xx: 0.05 });
});
after(async () => {
  for (const worker of workers) await worker.kill('SIGKILL');
  await simulator.close();
  await cluster.stop();
  await rm(outRoot, { recursive: true, force: true });
});

const ROWS: ScriptRow[] = Array.from({ length: 30 }, (_, i) => ({
  id: `f${String(i + 1).padStart(3, '0')}`,
  text: `Failover sentence ${i + 1}, read while a master dies.`,
}));

const linesWritten = (outDir: string) =>
  existsSync(join(outDir, 'manifest.jsonl'))
    ? readFileSync(join(outDir, 'manifest.jsonl'), 'utf8').trim().split('\n').filter(Boolean).length
    : 0;

test('the master of the run is killed mid-run: its replica takes over and the run finishes, paid once', async () => {
  const prefix = `{${uniquePrefix('f')}}`;
  const env = {
    REDIS_CLUSTER_NODES: cluster.nodesSetting,
    TTS_QUEUE_PREFIX: prefix,
    TTS_OUT_DIR: outRoot,
    SEGMIND_BASE_URL: simulator.url,
    SEGMIND_API_KEY: 'sk-failover-test',
    SEGMIND_RPM: '100000',
    TTS_CONCURRENCY: '3',
    TTS_LOCK_DURATION_MS: '3000',
    TTS_SHUTDOWN_GRACE_MS: '500',
    LOG_LEVEL: 'info',
  };
  const target = { env, run: 'night', outRoot, scriptPath: join(outRoot, 'night.jsonl') };
  await enqueueRowsOk(target, ROWS);
  const outDir = join(outRoot, 'night');
  workers.push(spawnWorker(env), spawnWorker(env));

  await until(() => linesWritten(outDir) >= 8, 'the first rows');
  const home = await cluster.masterOf(prefix);
  await cluster.nodes.find((node) => node.port === home)?.kill();
  await cluster.waitHealthy();
  assert.notEqual(await cluster.masterOf(prefix), home, 'a replica took over the slot');

  let entries: Record<string, unknown>[] | undefined;
  await until(
    () => (entries = finishedManifest(outDir, ROWS.length)) !== undefined,
    'the run to finish',
    3000,
    100,
  );
  assert.ok(entries);
  for (const entry of entries) assert.equal(entry['status'], 'completed', `row ${String(entry['id'])}`);
  assertBilledAtMostRecorded(simulator.ledger(), entries);

  const status = await runCli(['status', '--run', 'night'], env, outRoot);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /done 30 {2}failed 0/);
  for (const worker of workers) await worker.kill('SIGTERM');
  const output = workers.map((worker) => worker.output()).join('');
  assert.doesNotMatch(output, /"level":(50|60)/, 'no error logged');
});

test('a worker whose loop has stopped while Redis answers is started again by the watchdog', async () => {
  const target = {
    redisUrl: 'redis://',
    redisClusterNodes: parseClusterNodes(cluster.nodesSetting),
    redisTlsCaFile: undefined,
  };
  const prefix = `{${uniquePrefix('w')}}`;
  const redis = makeRedis(target, 'worker');
  const connection = makeRedis(target, 'worker');
  const queue = new Queue('rows', { connection: redis, prefix });
  // Not running: the state BullMQ users report after a failover (its loop ended, Redis is back).
  const worker = new Worker('rows', () => Promise.resolve('made'), { connection, prefix, autorun: false });
  const lines: string[] = [];
  const stop = watchWorker({
    worker,
    redisReady: () => redis.status === 'ready',
    logger: captureLogger(lines),
    everyMs: 50,
  });
  try {
    const completed = once(worker, 'completed');
    await queue.add('row', { n: 1 });
    const [job] = (await completed) as [{ returnvalue: string }];
    assert.equal(job.returnvalue, 'made');
    assert.equal(lines.filter((line) => line.includes('"worker_restarted"')).length, 1);
  } finally {
    stop();
    await worker.close();
    await queue.close();
    redis.disconnect();
    connection.disconnect();
  }
});
