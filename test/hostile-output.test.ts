import assert from 'node:assert/strict';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { startSimulator, type RunningSimulator } from '../src/simulator/server.js';
import { servedAudio } from '../src/simulator/speech-audio.js';
import { makeSandbox } from './fixtures/scripts/enqueue-harness.js';
import { appendLine } from '../src/output/run-files.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ROWS_QUEUE } from '../src/queue/keys.js';
import type { RowJobData } from '../src/queue/row-job.js';
import { listTree } from './helpers/hostile-files.js';
import { finishedManifest, until } from './helpers/processes.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { addRows, sha256 } from './helpers/rows.js';
import { settled, startTestWorker } from './helpers/worker.js';

let redis: PrivateRedis;
let sim: RunningSimulator;
const cleanups: (() => Promise<void>)[] = [];
before(async () => {
  redis = await startPrivateRedis();
  sim = await startSimulator({ port: 0, latencyScale: 0.002, seed: 3 });
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await sim.close();
  await redis.stop();
});

/** Enqueues `csv` with the CLI (cwd = the sandbox), runs a worker until the run's manifest is written. */
async function enqueueAndRun(
  env: Record<string, string>,
  csv: string,
  rows: number,
  runDir: (boxDir: string) => string,
) {
  const box = await makeSandbox(redis.url, uniquePrefix('ho'), env);
  cleanups.push(() => box.close());
  const file = await box.write('night.csv', csv);
  const outcome = await box.enqueue(file);
  assert.equal(outcome.code, 0, outcome.stderr);
  const { rowWorker } = startTestWorker({
    env: {
      ...box.env,
      SEGMIND_BASE_URL: sim.url,
      SEGMIND_API_KEY: 'sk-hostile-output',
      SEGMIND_RPM: '100000',
      TTS_SHUTDOWN_GRACE_MS: '200',
    },
  });
  cleanups.push(() => rowWorker.stop());
  const done = settled(rowWorker.worker, rows);
  let entries: Record<string, unknown>[] | undefined;
  await done;
  await until(() => (entries = finishedManifest(runDir(box.dir), rows)) !== undefined, 'manifest');
  assertBilledAtMostRecorded(sim.ledger(), entries ?? [], 'current');
  await rowWorker.stop();
  return { box, outcome, entries: entries ?? [] };
}

const TEXTS = {
  rtl: 'שלום עולם. مرحبا بالعالم، كيف حالك؟',
  emoji: 'Hello 👋🏽 world 🌍, family 👨‍👩‍👧 and flags 🇮🇱🇸🇦.',
  mixed: 'Read \u202Eevil\u202C and \u200Fmarks\u200E too.',
  plain: 'A plain sentence.',
};
const FORMULAS = { rtl: "=cmd|' /C calc'!A0", emoji: '+1', mixed: '-1+1', plain: '@SUM(A1:A2)' };

test('RTL text, emoji and formula metadata: audio made, manifest.json verbatim, manifest.csv neutralised; relative TTS_OUT_DIR with ..', async () => {
  const ids = Object.keys(TEXTS) as (keyof typeof TEXTS)[];
  const csv =
    'id,text,title\n' +
    ids.map((id) => `${id},"${TEXTS[id]}","${FORMULAS[id].replace(/"/g, '""')}"`).join('\n') +
    '\n';
  // The user's own choice, `..` and all: output lands exactly in <TTS_OUT_DIR>/<run>/.
  const { box, outcome, entries } = await enqueueAndRun(
    { TTS_OUT_DIR: 'nested/../out' },
    csv,
    ids.length,
    (dir) => join(dir, 'out', 'night'),
  );
  assert.match(outcome.stdout, new RegExp(`output: ${join(box.dir, 'out', 'night')}\\n`));
  for (const [index, id] of ids.entries()) {
    const entry = entries[index] ?? {};
    assert.equal(entry['status'], 'completed', String(entry['error']));
    assert.equal(entry['text_sha256'], sha256(TEXTS[id]), `${id}: the text reached the API intact`);
    assert.equal(entry['audio_sha256'], sha256(servedAudio(TEXTS[id], 'wav')));
    assert.equal((entry['metadata'] as Record<string, string>)['title'], FORMULAS[id], 'verbatim in JSON');
    assert.equal(entry['chars'], [...TEXTS[id]].length);
  }
  const csvText = await readFile(join(box.dir, 'out', 'night', 'manifest.csv'), 'utf8');
  const table = parse<Record<string, string>>(csvText, { columns: true });
  assert.deepEqual(
    table.map((row) => row['title']),
    ids.map((id) => `'${FORMULAS[id]}`),
    'every formula starts with a quote in the CSV',
  );
  assert.deepEqual(
    table.map((row) => row['id']),
    ids,
  );
  const files = ids.map((id) => `out/night/${id}.wav`);
  assert.deepEqual(
    await listTree(box.dir),
    [
      'night.csv',
      'out',
      'out/night',
      'out/night/.tts-run.json',
      'out/night/manifest.csv',
      'out/night/manifest.json',
      'out/night/report.html',
    ]
      .concat('out/night/manifest.jsonl', files)
      .sort(),
    'nothing written outside <TTS_OUT_DIR>/<run>/, no temporary files left',
  );
});

test('an output directory that is a symlink is followed; a symlink planted in the run directory is never written through', async () => {
  const prefix = uniquePrefix('hs');
  const root = join(redis.dir, `links-${prefix}`);
  await mkdir(join(root, 'real', 'night'), { recursive: true });
  await symlink(join(root, 'real'), join(root, 'out'));
  await writeFile(join(root, 'outside.txt'), 'do not touch');
  // A planted `a.wav` pointing outside: the atomic rename replaces the link, not its target.
  await symlink(join(root, 'outside.txt'), join(root, 'real', 'night', 'a.wav'));
  const { entries } = await enqueueAndRun(
    { TTS_OUT_DIR: join(root, 'out') },
    'id,text\na,First line.\nb,Second line.\n',
    2,
    () => join(root, 'real', 'night'),
  );
  assert.deepEqual(
    entries.map((entry) => entry['status']),
    ['completed', 'completed'],
  );
  assert.equal(await readFile(join(root, 'outside.txt'), 'utf8'), 'do not touch');
  assert.ok((await lstat(join(root, 'real', 'night', 'a.wav'))).isFile(), 'a.wav is now a regular file');
  assert.deepEqual(await listTree(join(root, 'real', 'night')), [
    '.tts-run.json',
    'a.wav',
    'b.wav',
    'manifest.csv',
    'manifest.json',
    'manifest.jsonl',
    'report.html',
  ]);
});

test('manifest.jsonl planted as a symlink is refused (ELOOP), its target untouched', async () => {
  const root = join(redis.dir, `planted-${uniquePrefix('hp')}`);
  await mkdir(join(root, 'night'), { recursive: true });
  await writeFile(join(root, 'outside.txt'), 'do not touch');
  await symlink(join(root, 'outside.txt'), join(root, 'night', 'manifest.jsonl'));
  await assert.rejects(appendLine(join(root, 'night'), 'manifest.jsonl', '{}'), { code: 'ELOOP' });
  assert.equal(await readFile(join(root, 'outside.txt'), 'utf8'), 'do not touch');
  await appendLine(join(root, 'night'), 'other.jsonl', '{"a":1}');
  await appendLine(join(root, 'night'), 'other.jsonl', '{"a":2}');
  assert.equal(await readFile(join(root, 'night', 'other.jsonl'), 'utf8'), '{"a":1}\n{"a":2}\n');
});

test('a job planted in Redis with a traversing id (bypassing enqueue) is refused before any write: it fails with the reason stated, nothing lands outside the run directory', async () => {
  const prefix = uniquePrefix('hj');
  const root = join(redis.dir, `planted-job-${prefix}`);
  const runDir = join(root, 'out', 'night');
  // The run exists as enqueue makes it; the attacker adds a job of its own beside its row.
  const [legit] = await addRows(redis.url, prefix, 'night', runDir, [{ id: 'ok', text: `Fine, ${prefix}.` }]);
  assert.ok(legit);
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue<RowJobData>(ROWS_QUEUE, { connection, prefix });
  cleanups.push(async () => {
    await queue.close();
    connection.disconnect();
  });
  await queue.add('row', { ...legit, id: '../../escape', outDir: '/tmp' }, { jobId: 'night/escape/x' });
  const { rowWorker } = startTestWorker({
    env: {
      REDIS_URL: redis.url,
      TTS_QUEUE_PREFIX: prefix,
      SEGMIND_BASE_URL: sim.url,
      SEGMIND_API_KEY: 'sk-hostile-output',
      SEGMIND_RPM: '100000',
      TTS_SHUTDOWN_GRACE_MS: '200',
      TTS_ROW_TRANSIENT_FAILURES: '0',
    },
  });
  cleanups.push(() => rowWorker.stop());
  await until(
    async () => (await queue.getJobState('night/escape/x')) === 'failed',
    'the planted job to fail',
  );
  let entries: Record<string, unknown>[] | undefined;
  await until(() => (entries = finishedManifest(runDir, 1)) !== undefined, 'the run to finish');
  await rowWorker.stop();
  const planted = await queue.getJob('night/escape/x');
  assert.match(String(planted?.failedReason), /is not a row id/);
  // The planted job is not a row of the run: the run's manifest lists its one row, completed.
  const jsonl = (await readFile(join(runDir, 'manifest.jsonl'), 'utf8')).split('\n').filter(Boolean);
  assert.deepEqual(
    jsonl.map((line) => (JSON.parse(line) as { id: string; status: string }).status),
    ['completed'],
  );
  const tree = await listTree(root);
  assert.ok(
    tree.every((path) => path.startsWith('out')),
    `written outside: ${tree.join(', ')}`,
  );
  assert.ok(!tree.some((path) => path.includes('escape')), tree.join(', '));
  // The planted job submitted nothing: the row's text was billed once, as its line records.
  assertBilledAtMostRecorded(sim.ledger(), entries ?? [], 'current');
  assert.equal(sim.ledger().submits.filter((s) => s.text_sha256 === sha256(`Fine, ${prefix}.`)).length, 1);
});
