import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { globalKeys, ROWS_QUEUE } from '../src/queue/keys.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../src/simulator/server.js';
import { servedAudio } from '../src/simulator/speech-audio.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { addRows, sha256, type FixtureRow } from './helpers/rows.js';
import { settled, startTestWorker } from './helpers/worker.js';

let redis: PrivateRedis;
let outRoot: string;
const simulators: { close(): Promise<void> }[] = [];
before(async () => {
  redis = await startPrivateRedis();
  outRoot = await mkdtemp(join(tmpdir(), 'tts-worker-'));
});
after(async () => {
  await Promise.allSettled(simulators.map((sim) => sim.close()));
  await redis.stop();
  await rm(outRoot, { recursive: true, force: true });
});

const simulatorOf = new Map<string, RunningSimulator>();

const texts = (n: number, label = 'Line') =>
  Array.from({ length: n }, (_, i): FixtureRow => ({
    id: `r${String(i + 1).padStart(3, '0')}`,
    text: `${label} ${i + 1}: the quick brown fox, jumping.`,
  }));

async function setup(simOptions: Partial<SimulatorOptions>, extraEnv: Record<string, string> = {}) {
  const sim = await startSimulator({ port: 0, latencyScale: 0.002, seed: 7, ...simOptions });
  simulators.push(sim);
  const prefix = uniquePrefix('w');
  const run = 'run1';
  const outDir = join(outRoot, prefix, run);
  simulatorOf.set(outDir, sim);
  const env = {
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: prefix,
    SEGMIND_BASE_URL: sim.url,
    SEGMIND_RPM: '100000',
    TTS_SHUTDOWN_GRACE_MS: '200',
    SEGMIND_API_KEY: simOptions.apiKey ?? 'sk-test-key-0000',
    ...extraEnv,
  };
  return { sim, prefix, run, outDir, env };
}

type Entry = Record<string, unknown> & {
  id: string;
  status: string;
  submits: number;
  audio_sha256: string | null;
  error: string | null;
};

/** The run's manifest, checked against its simulator's ledger: no text billed more than recorded. */
async function manifest(outDir: string): Promise<Entry[]> {
  const entries = JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as Entry[];
  const sim = simulatorOf.get(outDir);
  assert.ok(sim, `no simulator for ${outDir}`);
  assertBilledAtMostRecorded(sim.ledger(), entries, 'current');
  return entries;
}

test('a run completes: every row saved once, manifest in script order, one submit per row', async () => {
  const { sim, prefix, run, outDir, env } = await setup({ rate429: 0.1, rate5xx: 0.1 });
  const rows = texts(24);
  await addRows(redis.url, prefix, run, outDir, rows);
  const { rowWorker } = startTestWorker({ env, concurrency: 8 });
  const tally = await settled(rowWorker.worker, rows.length);
  await rowWorker.stop();
  assert.deepEqual(tally, { completed: 24, failed: 0 });

  const entries = await manifest(outDir);
  assert.deepEqual(
    entries.map((e) => e.id),
    rows.map((r) => r.id),
  );
  for (const [i, entry] of entries.entries()) {
    const text = rows[i]?.text ?? '';
    assert.equal(entry.status, 'completed');
    assert.equal(entry.submits, 1);
    assert.equal(entry.audio_sha256, sha256(servedAudio(text, 'wav')));
    assert.equal(sha256(await readFile(join(outDir, `${entry.id}.wav`))), entry.audio_sha256);
  }
  const ledger = sim.ledger();
  assert.equal(ledger.submits.length, 24, 'one billable submission per row');
  assert.ok(ledger.counts.r429 + ledger.counts.r5xx > 0, 'faults were injected');
  const jsonl = (await readFile(join(outDir, 'manifest.jsonl'), 'utf8')).trim().split('\n');
  assert.equal(jsonl.length, 24);
  assert.ok(existsSync(join(outDir, 'manifest.csv')));
  assert.deepEqual(
    (await readdir(outDir)).filter((f) => f.endsWith('.tmp')),
    [],
  );
  await sim.close();
});

test('MP3, raw PCM and every output shape are saved from the bytes', async () => {
  for (const [audio, output, extension] of [
    ['mp3', 'data-uri', 'mp3'],
    ['pcm', 'base64', 'wav'],
    ['wav', 'object', 'wav'],
  ] as const) {
    const { sim, prefix, run, outDir, env } = await setup({ audio, output });
    await addRows(redis.url, prefix, run, outDir, texts(2));
    const { rowWorker } = startTestWorker({ env });
    await settled(rowWorker.worker, 2);
    await rowWorker.stop();
    const entries = await manifest(outDir);
    for (const entry of entries) {
      assert.equal(entry.status, 'completed', `${audio}/${output}`);
      assert.equal(entry['file'], `${entry.id}.${extension}`);
      assert.ok(Number(entry['duration_s']) > 0);
    }
    await sim.close();
  }
});

test('400 and 422 fail the row with the server message, without a retry', async () => {
  // Enqueue accepts all 30 Gemini voices; an API that takes only the 6 documented ones for 3.1 refuses this one.
  const bad = await setup({ strictVoices: true });
  await addRows(redis.url, bad.prefix, bad.run, bad.outDir, [
    { id: 'ok', text: 'Fine words.' },
    { id: 'bad', text: 'A voice this model does not take.', voice_1: 'Leda' },
  ]);
  const first = startTestWorker({ env: bad.env });
  assert.deepEqual(await settled(first.rowWorker.worker, 2), { completed: 1, failed: 1 });
  await first.rowWorker.stop();
  const entries = await manifest(bad.outDir);
  const failed = entries.find((e) => e.id === 'bad');
  assert.equal(failed?.status, 'failed');
  assert.match(String(failed?.error), /400/);
  assert.match(String(failed?.error), /Leda|voice/i);
  assert.equal(bad.sim.ledger().counts.submit, 2, 'the refused submit was not repeated');
  await bad.sim.close();

  const blocked = await setup({ rateFailed: 1 });
  await addRows(redis.url, blocked.prefix, blocked.run, blocked.outDir, texts(3));
  const second = startTestWorker({ env: blocked.env });
  assert.deepEqual(await settled(second.rowWorker.worker, 3), { completed: 0, failed: 3 });
  await second.rowWorker.stop();
  for (const entry of await manifest(blocked.outDir)) {
    assert.equal(entry.status, 'failed');
    assert.match(String(entry.error), /422/);
    assert.equal(entry.submits, 1);
  }
  assert.equal(blocked.sim.ledger().submits.length, 3);
  await blocked.sim.close();
});

test('results that keep expiring fail the row after a bounded number of paid resubmissions', async () => {
  // Every request takes 2 s and is forgotten after 0.5 s: no result can ever be fetched.
  const { sim, prefix, run, outDir, env } = await setup({
    retentionS: 0.5,
    fixedLatencyS: 2,
    latencyScale: 1,
  });
  await addRows(redis.url, prefix, run, outDir, [{ id: 'never', text: 'Too slow to keep.' }]);
  const { rowWorker } = startTestWorker({ env });
  assert.deepEqual(await settled(rowWorker.worker, 1), { completed: 0, failed: 1 });
  await rowWorker.stop();
  const [entry] = await manifest(outDir);
  assert.equal(entry?.status, 'failed');
  assert.match(String(entry?.error), /expired/);
  assert.equal(entry?.submits, 4, 'the first submit and three resubmissions');
  assert.equal(sim.ledger().submits.length, 4);
});

test('406 (credits) pauses the queue with rows waiting; resume finishes the run', async () => {
  const first = await setup({ credits: 0.0067 * 3 + 0.001, latencyScale: 0.001 });
  const port = first.sim.port;
  const rows = texts(6, 'Paid');
  await addRows(redis.url, first.prefix, first.run, first.outDir, rows);
  const { rowWorker } = startTestWorker({ env: first.env, concurrency: 1 });
  const connection = new Redis(redis.url);
  const queue = new Queue(ROWS_QUEUE, { connection, prefix: first.prefix });
  // Wait for the halt the 406 sets (an event in Redis, not a timer).
  for (let i = 0; i < 500 && !(await connection.exists(globalKeys(first.prefix).halt)); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.match(String(await connection.hget(globalKeys(first.prefix).halt, 'reason')), /406/);
  assert.equal(await queue.isPaused(), true);
  const counts = await queue.getJobCounts('failed');
  assert.equal(counts['failed'], 0, 'no row failed because of credits');

  // The operator adds credits (a new simulator on the same port) and resumes.
  await first.sim.close();
  const topped = await startSimulator({ port, latencyScale: 0.001, seed: 8 });
  simulators.push(topped);
  const done = settled(rowWorker.worker, 3);
  const { main } = await import('../src/cli/main.js');
  const out: string[] = [];
  const sink = { write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WritableStream;
  const code = await main(['resume'], {
    stdout: sink as never,
    stderr: sink as never,
    env: first.env,
    cwd: process.cwd(),
    signal: new AbortController().signal,
  });
  assert.equal(code, 0);
  assert.match(out.join(''), /406/);
  await done;
  await rowWorker.stop();
  const entries = await manifest(first.outDir);
  assert.equal(entries.length, 6);
  assert.ok(entries.every((e) => e.status === 'completed'));
  await queue.close();
  connection.disconnect();
  await topped.close();
});

test('401 stops the run: queue paused with one operator message, rows not failed', async () => {
  const { sim, prefix, run, outDir } = await setup({ apiKey: 'sk-right-key-0001' });
  const env = {
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: prefix,
    SEGMIND_BASE_URL: sim.url,
    SEGMIND_API_KEY: 'sk-wrong-key-0002',
    TTS_SHUTDOWN_GRACE_MS: '100',
  };
  await addRows(redis.url, prefix, run, outDir, texts(3));
  const lines: string[] = [];
  const { rowWorker } = startTestWorker({ env, logLines: lines });
  const connection = new Redis(redis.url);
  for (let i = 0; i < 500 && !(await connection.exists(globalKeys(prefix).halt)); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await rowWorker.stop();
  const queue = new Queue(ROWS_QUEUE, { connection, prefix });
  assert.equal(await queue.isPaused(), true);
  const counts = await queue.getJobCounts('failed', 'completed');
  assert.deepEqual(counts, { failed: 0, completed: 0 });
  assert.ok(lines.some((line) => line.includes('run_halted')));
  assert.ok(!lines.some((line) => line.includes('sk-wrong-key-0002')), 'the key is never logged');
  await queue.close();
  connection.disconnect();
  await sim.close();
});

test('an API that answers 404 on the result URL while pending: the fleet switches to status polling, nothing resubmitted', async () => {
  const { sim, prefix, run, outDir, env } = await setup({
    resultWhilePending: '404',
    fixedLatencyS: 1.5,
    latencyScale: 1,
  });
  const rows = texts(6, 'Pending');
  await addRows(redis.url, prefix, run, outDir, rows);
  const { rowWorker } = startTestWorker({ env, concurrency: 3 });
  assert.deepEqual(await settled(rowWorker.worker, rows.length), { completed: 6, failed: 0 });
  await rowWorker.stop();
  const entries = await manifest(outDir);
  assert.ok(entries.every((e) => e.status === 'completed' && e.submits === 1));
  assert.equal(sim.ledger().submits.length, 6);
  const connection = new Redis(redis.url);
  assert.equal(await connection.get(globalKeys(prefix).pollMode), 'status');
  connection.disconnect();
});

test('an API that answers pending requests on the result URL: rows need no status calls at all', async () => {
  const { sim, prefix, run, outDir, env } = await setup({ resultWhilePending: 'status', latencyScale: 0.01 });
  await addRows(redis.url, prefix, run, outDir, texts(6, 'Direct'));
  const { rowWorker } = startTestWorker({ env, concurrency: 3 });
  assert.deepEqual(await settled(rowWorker.worker, 6), { completed: 6, failed: 0 });
  await rowWorker.stop();
  const { counts } = sim.ledger();
  assert.equal(counts.status, 0);
  assert.equal(counts.submit, 6);
  assert.ok(counts.result >= 6);
});
