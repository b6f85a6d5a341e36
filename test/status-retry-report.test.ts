import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { globalKeys, ROWS_QUEUE, runKeys } from '../src/queue/keys.js';
import { startSimulator, type RunningSimulator } from '../src/simulator/server.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { enqueueRowsOk, type ScriptRow } from './helpers/enqueue-rows.js';
import { settled, startTestWorker } from './helpers/worker.js';
import { runCli } from './helpers/cli.js';

let redis: PrivateRedis;
let outRoot: string;
const simulators: RunningSimulator[] = [];
before(async () => {
  redis = await startPrivateRedis();
  outRoot = await mkdtemp(join(tmpdir(), 'tts-status-'));
});
after(async () => {
  await Promise.allSettled(simulators.map((sim) => sim.close()));
  await redis.stop();
  await rm(outRoot, { recursive: true, force: true });
});

const cli = (env: Record<string, string>, ...argv: string[]) => runCli(argv, env, outRoot);

async function sim(strictVoices: boolean) {
  const running = await startSimulator({ port: 0, latencyScale: 0.002, seed: 3, strictVoices });
  simulators.push(running);
  return running;
}

/** A run enqueued with the real `tts-batch enqueue`. */
async function seedRun(prefix: string, run: string, rows: readonly ScriptRow[]) {
  const target = {
    env: { REDIS_URL: redis.url, TTS_QUEUE_PREFIX: prefix },
    run,
    outRoot: join(outRoot, prefix),
    scriptPath: join(outRoot, prefix, `${run}.jsonl`),
  };
  await enqueueRowsOk(target, rows);
  return join(outRoot, prefix, run);
}

const ROWS: ScriptRow[] = [
  { id: 'r001', text: 'The harbour lay still under the fog.' },
  { id: '-dash', text: 'A row whose id a spreadsheet would read as a formula.' },
  // gemini-3.1-flash-tts does not document Sulafat: a strict simulator refuses it (400).
  { id: 'r003', text: 'A voice the strict simulator refuses.', voice_1: 'Sulafat' },
  { id: 'r004', text: 'And the keeper lit the lamp.' },
];

test('status, report and retry over a run with a failed row', async () => {
  const strict = await sim(true);
  const prefix = uniquePrefix('s');
  const env = {
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: prefix,
    TTS_OUT_DIR: outRoot,
    SEGMIND_BASE_URL: strict.url,
    SEGMIND_API_KEY: 'sk-status-test',
    SEGMIND_RPM: '100000',
    TTS_SHUTDOWN_GRACE_MS: '200',
  };
  const outDir = await seedRun(prefix, 'night', ROWS);

  const before = JSON.parse((await cli(env, 'status', '--run', 'night', '--json')).stdout) as {
    runs: { rows: number; waiting: number; done: number }[];
  };
  assert.deepEqual(
    before.runs.map((r) => [r.rows, r.waiting, r.done]),
    [[4, 4, 0]],
  );

  const first = startTestWorker({ env });
  assert.deepEqual(await settled(first.rowWorker.worker, 4), { completed: 3, failed: 1 });
  await first.rowWorker.stop();

  const detail = await cli(env, 'status', '--run', 'night');
  assert.equal(detail.code, 0, detail.stderr);
  assert.match(detail.stdout, /done 3 {2}failed 1 {2}in flight 0 {2}waiting 0/);
  assert.match(detail.stdout, /failures by reason:\n\s+1 {2}.+/);
  const json = JSON.parse((await cli(env, 'status', '--run', 'night', '--json')).stdout) as {
    runs: { finished: boolean; calls: number; audioMinutes: number; failures: { rows: number }[] }[];
  };
  const [night] = json.runs;
  assert.ok(night);
  assert.equal(night.finished, true);
  assert.ok(night.calls >= 4, `calls ${night.calls}`);
  assert.ok(night.audioMinutes > 0);
  assert.deepEqual(
    night.failures.map((f) => f.rows),
    [1],
  );
  assert.match((await cli(env, 'status')).stdout, /^run .*ETA\nnight +4 +3 +1 /m);

  await rm(join(outDir, 'manifest.csv'));
  const report = await cli(env, 'report', '--run', 'night');
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /3 completed, 1 failed, 0 pending/);
  const csv = await readFile(join(outDir, 'manifest.csv'), 'utf8');
  assert.match(csv, /\r\n'-dash,/, 'a leading - is neutralised');
  const manifest = JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as { id: string }[];
  assert.deepEqual(
    manifest.map((e) => e.id),
    ROWS.map((r) => r.id),
  );

  const retry = await cli(env, 'retry', '--run', 'night');
  assert.equal(retry.code, 0, retry.stderr);
  assert.match(retry.stdout, /night: 1 failed row\(s\) back in the queue/);
  const client = new Redis(redis.url);
  assert.equal(await client.hexists(runKeys(prefix, 'night').outcomes, 'r003'), 0);
  const queue = new Queue(ROWS_QUEUE, { connection: client, prefix });
  assert.equal(await queue.getFailedCount(), 0);
  await queue.close();
  client.disconnect();

  // The retried row runs against a simulator that accepts the voice, and the run finishes again.
  const lenient = await sim(false);
  const second = startTestWorker({ env: { ...env, SEGMIND_BASE_URL: lenient.url } });
  assert.deepEqual(await settled(second.rowWorker.worker, 1), { completed: 1, failed: 0 });
  await second.rowWorker.stop();
  const rewritten = JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as {
    id: string;
    status: string;
    attempts: number;
  }[];
  const retried = rewritten.find((e) => e.id === 'r003');
  assert.equal(retried?.status, 'completed');
  assert.ok((retried?.attempts ?? 0) >= 2, `attempts ${retried?.attempts}`);
  const watch = await cli(env, 'status', '--run', 'night', '--watch');
  assert.match(watch.stdout, /night: 4\/4 done \(failed 0/);
  assert.match(watch.stdout, /done 4 {2}failed 0/);
});

test('report lists pending rows; status shows a halted queue; unknown runs are refused', async () => {
  const prefix = uniquePrefix('p');
  const env = { REDIS_URL: redis.url, TTS_QUEUE_PREFIX: prefix, TTS_OUT_DIR: outRoot };
  const outDir = await seedRun(prefix, 'later', ROWS.slice(0, 2));
  const report = await cli(env, 'report', '--run', 'later');
  assert.equal(report.code, 0, report.stderr);
  assert.match(
    report.stdout,
    /0 completed, 0 failed, 2 pending\n {2}pending \(not in the manifest yet\): r001, -dash/,
  );
  assert.deepEqual(JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')), []);

  const client = new Redis(redis.url);
  await client.hset(globalKeys(prefix).halt, 'reason', 'API answered 401: invalid key', 'at', 'now');
  const queue = new Queue(ROWS_QUEUE, { connection: client, prefix });
  await queue.pause();
  const status = await cli(env, 'status');
  assert.match(status.stdout, /HALTED at now: API answered 401: invalid key/);
  const json = JSON.parse((await cli(env, 'status', '--json')).stdout) as { queue: { paused: boolean } };
  assert.equal(json.queue.paused, true);
  await queue.close();
  client.disconnect();

  const missing = await cli(env, 'retry', '--run', 'nope');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no run named `nope` \(runs: later\)/);
  assert.equal((await cli(env, 'status', '--bogus')).code, 2);
  for (const args of [[], ['--watch'], ['--json']]) {
    const unknown = await cli(env, 'status', '--run', 'nope', ...args);
    assert.equal(unknown.code, 2, `status --run nope ${args.join(' ')}: bad input`);
    assert.match(unknown.stderr, /no run named `nope` \(runs: later\)/);
  }
});
