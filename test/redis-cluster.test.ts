import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startDashboard } from '../src/dashboard/server.js';
import { ConfigError } from '../src/errors.js';
import { loadSettings } from '../src/settings.js';
import { startSimulator, type RunningSimulator } from '../src/simulator/server.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { enqueueRows, enqueueRowsOk, type ScriptRow } from './helpers/enqueue-rows.js';
import { startLocalCluster, type LocalCluster } from './helpers/redis-cluster.js';
import { uniquePrefix } from './helpers/redis.js';
import { settled, startTestWorker } from './helpers/worker.js';

// The worker suite's core cases on a Redis Cluster of 3 masters: enqueue, a worker completing
// rows against the simulator (faults injected), the billing invariant, status, report, retry,
// pause and resume, with every key of the product in the prefix's one slot.

let cluster: LocalCluster;
let outRoot: string;
const simulators: RunningSimulator[] = [];
before(async () => {
  cluster = await startLocalCluster({ masters: 3 });
  outRoot = await mkdtemp(join(tmpdir(), 'tts-cluster-run-'));
});
after(async () => {
  await Promise.allSettled(simulators.map((sim) => sim.close()));
  await cluster.stop();
  await rm(outRoot, { recursive: true, force: true });
});

const cli = (env: Record<string, string>, ...argv: string[]) => runCli(argv, env, outRoot);

async function sim(strictVoices: boolean) {
  const running = await startSimulator({
    port: 0,
    latencyScale: 0.002,
    seed: 5,
    strictVoices,
    rate429: 0.1,
    rate5xx: 0.1,
  });
  simulators.push(running);
  return running;
}

/** Keys per master: on a cluster, every key of one prefix must be on the master of its slot. */
async function keysByMaster(): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const node of cluster.nodes) {
    const role = await cluster.cli(node.port, 'role');
    if (!role.startsWith('master')) continue;
    counts.set(node.port, Number((await cluster.cli(node.port, 'dbsize')).trim()));
  }
  return counts;
}

const ROWS: ScriptRow[] = Array.from({ length: 12 }, (_, i) => ({
  id: `r${String(i + 1).padStart(3, '0')}`,
  text: `Line ${i + 1} of the night shift, read slowly.`,
}));
// gemini-3.1-flash-tts does not document Sulafat: a strict simulator refuses it (400).
ROWS.push({ id: 'r013', text: 'A voice the strict simulator refuses.', voice_1: 'Sulafat' });

test('REDIS_CLUSTER_NODES and the hash-tag rule are read with the settings', () => {
  const nodes = (value: string, prefix = '{tts}') =>
    loadSettings({ REDIS_CLUSTER_NODES: value, TTS_QUEUE_PREFIX: prefix }).redisClusterNodes;
  assert.deepEqual(nodes(' 10.0.0.1:6379, redis-2:7000,[::1]:7001 '), [
    { host: '10.0.0.1', port: 6379 },
    { host: 'redis-2', port: 7000 },
    { host: '::1', port: 7001 },
  ]);
  assert.deepEqual(loadSettings({}).redisClusterNodes, []);
  for (const bad of ['redis-1', 'redis-1:0', 'redis-1:6379,', 'redis-1:99999']) {
    assert.throws(
      () => nodes(bad),
      (error: unknown) => error instanceof ConfigError && error.variable === 'REDIS_CLUSTER_NODES',
      bad,
    );
  }
  for (const good of ['{tts}', 'a{b}c', '{tts}-demo']) assert.equal(nodes('h:1', good).length, 1, good);
  for (const bad of ['tts', '{}tts', 'tts{', 'tts}{']) {
    assert.throws(
      () => nodes('h:1', bad),
      (error: unknown) => error instanceof ConfigError && error.variable === 'TTS_QUEUE_PREFIX',
      bad,
    );
  }
  // A single server takes any prefix.
  assert.equal(loadSettings({ TTS_QUEUE_PREFIX: 'tts' }).queuePrefix, 'tts');
});

test('on a cluster, a queue prefix without a hash tag is refused before anything is done', async () => {
  const outcome = await cli(
    { REDIS_CLUSTER_NODES: cluster.nodesSetting, TTS_QUEUE_PREFIX: 'plain' },
    'status',
  );
  assert.equal(outcome.code, 2);
  assert.match(outcome.stderr, /TTS_QUEUE_PREFIX/);
  assert.match(outcome.stderr, /TTS_QUEUE_PREFIX=\{plain\}/);
  assert.deepEqual(
    [...(await keysByMaster()).values()].filter((count) => count > 0),
    [],
  );
});

test('every master of the cluster is checked: one that may evict keys refuses the enqueue', async () => {
  const prefix = `{${uniquePrefix('e')}}`;
  const home = await cluster.masterOf(prefix);
  const masters = [...(await keysByMaster()).keys()];
  const elsewhere = masters.find((port) => port !== home);
  assert.ok(elsewhere !== undefined);
  await cluster.cli(elsewhere, 'config', 'set', 'maxmemory-policy', 'allkeys-lru');
  try {
    const env = { REDIS_CLUSTER_NODES: cluster.nodesSetting, TTS_QUEUE_PREFIX: prefix };
    const target = { env, run: 'evict', outRoot, scriptPath: join(outRoot, 'evict.jsonl') };
    const outcome = await enqueueRows(target, ROWS.slice(0, 2));
    assert.equal(outcome.code, 2, outcome.stderr);
    assert.match(outcome.stderr, /maxmemory-policy is `allkeys-lru`/);
    assert.match(outcome.stderr, /neither AOF nor RDB/);
  } finally {
    await cluster.cli(elsewhere, 'config', 'set', 'maxmemory-policy', 'noeviction');
  }
});

test('enqueue, worker, status, report, retry, pause and resume on a 3-master cluster, all in one slot', async () => {
  const strict = await sim(true);
  const prefix = `{${uniquePrefix('c')}}`;
  const env = {
    REDIS_CLUSTER_NODES: cluster.nodesSetting,
    TTS_QUEUE_PREFIX: prefix,
    TTS_OUT_DIR: outRoot,
    SEGMIND_BASE_URL: strict.url,
    SEGMIND_API_KEY: 'sk-cluster-test',
    SEGMIND_RPM: '100000',
    TTS_SHUTDOWN_GRACE_MS: '200',
  };
  const target = { env, run: 'night', outRoot, scriptPath: join(outRoot, 'night.jsonl') };
  assert.match(await enqueueRowsOk(target, ROWS), /new 13/);
  const again = await enqueueRowsOk(target, ROWS);
  assert.match(again, /new 0/, 'enqueueing the same script again adds nothing');

  const first = startTestWorker({ env, concurrency: 6 });
  assert.deepEqual(await settled(first.rowWorker.worker, ROWS.length), { completed: 12, failed: 1 });
  await first.rowWorker.stop();

  const outDir = join(outRoot, 'night');
  type Entry = { id: string; status: string; submits: number; text_sha256: string; attempts: number };
  const readManifest = async () =>
    JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as Entry[];
  const entries = await readManifest();
  assert.deepEqual(
    entries.map((e) => e.id),
    ROWS.map((r) => r.id),
  );
  assertBilledAtMostRecorded(strict.ledger(), entries);
  assert.ok(strict.ledger().counts.r429 + strict.ledger().counts.r5xx > 0, 'faults were injected');

  const status = await cli(env, 'status', '--run', 'night');
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /done 12 {2}failed 1 {2}in flight 0 {2}waiting 0/);
  const report = await cli(env, 'report', '--run', 'night');
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /12 completed, 1 failed, 0 pending/);

  for (const command of ['pause', 'resume']) {
    const outcome = await cli(env, command);
    assert.equal(outcome.code, 0, `${command}: ${outcome.stderr}`);
  }
  const retry = await cli(env, 'retry', '--run', 'night');
  assert.equal(retry.code, 0, retry.stderr);
  assert.match(retry.stdout, /night: 1 failed row\(s\) back in the queue/);

  const lenient = await sim(false);
  const second = startTestWorker({ env: { ...env, SEGMIND_BASE_URL: lenient.url } });
  assert.deepEqual(await settled(second.rowWorker.worker, 1), { completed: 1, failed: 0 });
  await second.rowWorker.stop();
  const rewritten = await readManifest();
  assert.equal(rewritten.find((e) => e.id === 'r013')?.status, 'completed');
  const both = { submits: [...strict.ledger().submits, ...lenient.ledger().submits] };
  assertBilledAtMostRecorded({ ...lenient.ledger(), ...both }, rewritten);

  // The dashboard and bull-board read the run from the cluster.
  const dashboard = await startDashboard({ settings: loadSettings(env), port: 0 });
  try {
    assert.match(await (await fetch(`${dashboard.url}/`)).text(), /night/);
    assert.equal((await fetch(`${dashboard.url}/metrics`)).status, 200);
    const board = await fetch(`${dashboard.url}/queues/api/queues`);
    assert.equal(board.status, 200);
    assert.match(await board.text(), /"name":"rows"/);
  } finally {
    await dashboard.close();
  }

  // The run's rows, outcomes, progress, counters, the fleet's budget, latency stats and answer
  // counts, and BullMQ's queue: all on the master of the prefix's slot, none elsewhere.
  const home = await cluster.masterOf(prefix);
  const counts = await keysByMaster();
  assert.ok((counts.get(home) ?? 0) > 5, `keys on the prefix's master: ${counts.get(home)}`);
  for (const [port, count] of counts) if (port !== home) assert.equal(count, 0, `keys on master ${port}`);
});
