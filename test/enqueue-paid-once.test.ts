import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Queue } from 'bullmq';
import { ROWS_QUEUE } from '../src/queue/keys.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { enqueueRowsOk, rowCounts, type ScriptRow } from './helpers/enqueue-rows.js';
import { nightRows, startNight, type Night } from './helpers/night.js';
import { until } from './helpers/processes.js';
import { sha256 } from './helpers/rows.js';
import { startTestWorker } from './helpers/worker.js';

// Defect 1: re-enqueueing a finished script billed every row again. Defect 9: the manifest
// claimed audio files that no longer existed. Everything here goes through the product: enqueue,
// a worker against the simulator, report.
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function night(): Promise<Night> {
  const started = await startNight();
  cleanups.push(() => started.close());
  return started;
}

function worker(env: Record<string, string>) {
  const started = startTestWorker({ env });
  cleanups.push(() => started.rowWorker.stop());
  return started.rowWorker;
}

type Entry = {
  id: string;
  status: string;
  text_sha256: string;
  error: string | null;
  file: string | null;
  submits: number;
};

async function manifest(n: Night): Promise<Entry[]> {
  return JSON.parse(await readFile(join(n.outDir, 'manifest.json'), 'utf8').catch(() => '[]')) as Entry[];
}

/** Waits until manifest.json has every row completed, the edited texts included. */
async function finishedWith(n: Night, rows: readonly ScriptRow[]): Promise<Entry[]> {
  const wanted = new Set(rows.map((row) => sha256(row.text)));
  let entries: Entry[] = [];
  await until(async () => {
    entries = await manifest(n);
    return (
      entries.length === rows.length &&
      entries.every((entry) => entry.status === 'completed' && wanted.has(entry.text_sha256))
    );
  }, 'the run to finish');
  return entries;
}

async function queued(n: Night): Promise<number> {
  const queue = new Queue(ROWS_QUEUE, {
    connection: { url: n.redis.url },
    prefix: n.env['TTS_QUEUE_PREFIX'] ?? '',
  });
  try {
    // A finished row's job leaves the active list just after its manifest line is written.
    await until(async () => (await queue.getActiveCount()) === 0, 'finished jobs to leave');
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  } finally {
    await queue.close();
  }
}

test('a finished script enqueued again bills nothing; 3 rows edited bill exactly 3', async () => {
  const n = await night();
  const rows = nightRows(12, 'again');
  assert.deepEqual(rowCounts(await enqueueRowsOk(n.target, rows)), { new: 12, unchanged: 0, skipped: 0 });
  const running = worker(n.env);
  await finishedWith(n, rows);
  assert.equal(n.sim.ledger().submits.length, 12);

  const again = rowCounts(await enqueueRowsOk(n.target, rows));
  assert.deepEqual(again, { new: 0, unchanged: 0, skipped: 12 });
  assert.equal(await queued(n), 0, 'no job was added');

  const edited = rows.map((row, i) =>
    [2, 7, 11].includes(i) ? { ...row, text: `${row.text} Edited.` } : row,
  );
  assert.deepEqual(rowCounts(await enqueueRowsOk(n.target, edited)), { new: 3, unchanged: 0, skipped: 9 });
  await finishedWith(n, edited);
  await running.stop();
  const submits = n.sim.ledger().submits;
  assert.equal(submits.length, 15, 'exactly the 3 edited rows were billed again');
  const editedTexts = new Set([2, 7, 11].map((i) => sha256(edited[i]?.text ?? '')));
  assert.deepEqual(new Set(submits.slice(12).map((submit) => submit.text_sha256)), editedTexts);
});

test('a deleted audio file: report lists it and marks the row failed; enqueue remakes it, billed once', async () => {
  const n = await night();
  const rows = nightRows(6, 'gone');
  await enqueueRowsOk(n.target, rows);
  const running = worker(n.env);
  await finishedWith(n, rows);
  const lost = (await manifest(n)).find((entry) => entry.id === 'gone-004');
  assert.ok(lost?.file);
  await rm(join(n.outDir, lost.file));

  const report = await runCli(['report', '--run', 'night'], n.env);
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /5 completed, 1 failed \(1 of them: audio file missing\), 0 pending/);
  assert.match(
    report.stdout,
    /audio files missing \(enqueue the script again to remake them\): gone-004\.wav/,
  );
  const reported = (await manifest(n)).find((entry) => entry.id === 'gone-004');
  assert.equal(reported?.status, 'failed');
  assert.equal(reported?.file, null);
  assert.match(
    reported?.error ?? '',
    /^audio file missing \(gone-004\.wav\): enqueue the script again to remake it$/,
  );

  assert.deepEqual(rowCounts(await enqueueRowsOk(n.target, rows)), { new: 1, unchanged: 0, skipped: 5 });
  const entries = await finishedWith(n, rows);
  await running.stop();
  const billed = n.sim.ledger().submits.filter((submit) => submit.text_sha256 === lost.text_sha256);
  assert.equal(billed.length, 2, 'made once, remade once');
  assert.equal(n.sim.ledger().submits.length, 7);
  // Its manifest entry counts both: the text was billed twice.
  assert.equal(entries.find((entry) => entry.id === 'gone-004')?.submits, 2);
  assertBilledAtMostRecorded(n.sim.ledger(), entries);
});
