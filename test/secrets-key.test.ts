import assert from 'node:assert/strict';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { startDashboard } from '../src/dashboard/server.js';
import { globalKeys } from '../src/queue/keys.js';
import { loadSettings } from '../src/settings.js';
import { startSimulator, type RunningSimulator } from '../src/simulator/server.js';
import { runCli } from './helpers/cli.js';
import { listTree } from './helpers/hostile-files.js';
import { dumpRedis } from './helpers/hostile-redis-scan.js';
import { finishedManifest, spawnWorker, until, type SpawnedWorker } from './helpers/processes.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { addRows } from './helpers/rows.js';

const API_KEY = 'sk-secrets-LIVE-91c4e2d7aa';
const WRONG_KEY = 'sk-secrets-WRONG-5b0f33e1';
let redis: PrivateRedis;
let sim: RunningSimulator;
let outRoot: string;
const workers: SpawnedWorker[] = [];
before(async () => {
  redis = await startPrivateRedis();
  // 429s, 5xx and FAILED inferences: error paths and their messages are exercised too.
  sim = await startSimulator({
    port: 0,
    latencyScale: 0.01,
    seed: 17,
    apiKey: API_KEY,
    rate429: 0.05,
    rate5xx: 0.05,
    rateFailed: 0.2,
  });
  outRoot = await mkdtemp(join(tmpdir(), 'tts-secrets-'));
});
after(async () => {
  for (const worker of workers) await worker.kill('SIGKILL');
  await sim.close();
  await redis.stop();
  await rm(outRoot, { recursive: true, force: true });
});

function workerEnv(prefix: string, apiKey: string): Record<string, string> {
  return {
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: prefix,
    SEGMIND_BASE_URL: sim.url,
    SEGMIND_API_KEY: apiKey,
    SEGMIND_RPM: '100000',
    TTS_SHUTDOWN_GRACE_MS: '500',
    LOG_LEVEL: 'trace',
  };
}

function assertNoKey(text: string, where: string): void {
  for (const secret of [API_KEY, WRONG_KEY]) {
    assert.ok(!text.includes(secret), `the API key ${secret.slice(0, 14)}… is in ${where}`);
  }
}

test('the API key appears nowhere: trace logs, error messages, manifests, Redis, the dashboard and /metrics', async () => {
  const good = uniquePrefix('sk');
  const outDir = join(outRoot, good, 'night');
  const texts = Array.from({ length: 12 }, (_, i) => ({ id: `r${i + 1}`, text: `Secret line ${i + 1}.` }));
  await addRows(redis.url, good, 'night', outDir, texts);
  const worker = spawnWorker(workerEnv(good, API_KEY));
  workers.push(worker);
  let entries: Record<string, unknown>[] | undefined;
  await until(() => (entries = finishedManifest(outDir, texts.length)) !== undefined, 'the run to finish');
  assertBilledAtMostRecorded(sim.ledger(), entries ?? [], 'current');
  await worker.kill('SIGTERM');
  const statuses = (entries ?? []).map((entry) => entry['status']);
  assert.ok(statuses.includes('failed') && statuses.includes('completed'), statuses.join(','));

  // A wrong key: the simulator answers 401, the worker halts the run with a reason.
  const bad = uniquePrefix('sw');
  await addRows(redis.url, bad, 'night', join(outRoot, bad, 'night'), [{ id: 'x', text: 'Never said.' }]);
  const wrong = spawnWorker(workerEnv(bad, WRONG_KEY));
  workers.push(wrong);
  const client = new Redis(redis.url);
  await until(async () => (await client.exists(globalKeys(bad).halt)) === 1, 'the run to halt on 401');
  const reason = (await client.hget(globalKeys(bad).halt, 'reason')) ?? '';
  client.disconnect();
  assert.match(reason, /401/);
  await wrong.kill('SIGTERM');

  const logs = workers.map((w) => w.output()).join('\n');
  assert.ok(logs.includes('"level":20'), 'debug lines were logged (LOG_LEVEL=trace)');
  assert.ok(logs.includes('"event":"run_halted"'), 'the halt was logged');
  assertNoKey(logs, 'the worker logs');
  assertNoKey(reason, 'the halt reason');

  for (const file of await listTree(outDir)) {
    assertNoKey(await readFile(join(outDir, file), 'latin1'), file);
  }
  const dump = await dumpRedis(redis.url);
  assert.ok(dump.keys > 0);
  assertNoKey(dump.text, 'Redis');

  for (const prefix of [good, bad]) {
    const env = { REDIS_URL: redis.url, TTS_QUEUE_PREFIX: prefix, SEGMIND_API_KEY: API_KEY };
    for (const args of [['status'], ['status', '--json'], ['report']]) {
      const outcome = await runCli(args, env);
      assertNoKey(outcome.stdout + outcome.stderr, `tts-batch ${args.join(' ')}`);
    }
    const dashboard = await startDashboard({ settings: loadSettings(env), port: 0 });
    try {
      for (const path of [
        '/',
        '/metrics',
        '/queues',
        '/queues/api/queues?activeQueue=rows&status=failed&page=1',
        '/queues/api/queues?activeQueue=rows&status=completed&page=1',
        '/queues/api/queues?activeQueue=rows&status=paused&page=1',
      ]) {
        const response = await fetch(`${dashboard.url}${path}`);
        const body = await response.text();
        assertNoKey(body, `dashboard ${path}`);
        if (prefix === good && path.includes('status=failed')) {
          assert.match(body, /Secret line/, 'the scan reads real job data (failed jobs are kept)');
        }
      }
    } finally {
      await dashboard.close();
    }
  }
});
