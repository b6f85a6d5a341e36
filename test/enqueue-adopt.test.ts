import assert from 'node:assert/strict';
import { appendFile, copyFile, open, readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { enqueueRowsOk, rowCounts } from './helpers/enqueue-rows.js';
import { nightRows, startNight, type Night } from './helpers/night.js';
import { until } from './helpers/processes.js';
import { startTestWorker } from './helpers/worker.js';

// Defect 7 (the output directory as the second source of truth): Redis restarted empty mid-run,
// then enqueue again billed 99 of 150 rows twice, 85 of them with their audio already on disk.
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

type Line = { id: string; status: string; file: string | null; text_sha256: string };

async function completedOnDisk(n: Night): Promise<Map<string, Line>> {
  const lines = (await n.lines()) as unknown as Line[];
  return new Map(lines.filter((line) => line.status === 'completed').map((line) => [line.id, line]));
}

test('Redis restarted empty mid-run: enqueue again adopts the rows on disk and bills none of them', async () => {
  const n = await startNight({ env: { TTS_CONCURRENCY: '2' } });
  cleanups.push(() => n.close());
  const rows = nightRows(30, 'adopt');
  await enqueueRowsOk(n.target, rows);
  const first = startTestWorker({ env: n.env });
  await until(async () => (await completedOnDisk(n)).size >= 12, '12 rows made');
  await first.rowWorker.stop();
  const done = await completedOnDisk(n);
  assert.ok(done.size < rows.length, 'stopped mid-run');

  // One file on disk is not what its line says (same size, other bytes): it must not be adopted.
  const [tampered] = [...done.values()];
  assert.ok(tampered?.file);
  const handle = await open(join(n.outDir, tampered.file), 'r+');
  await handle.write(Buffer.from('XXXX'), 0, 4, 100);
  await handle.close();

  n.client.on('error', () => {}); // it reconnects once the server is back
  await n.redis.kill();
  await n.redis.restart(); // no persistence: empty
  assert.equal(await n.client.dbsize(), 0);
  const billedBefore = n.sim.ledger().submits.length;

  const counts = rowCounts(await enqueueRowsOk(n.target, rows));
  assert.equal(counts['adopted'], done.size - 1, JSON.stringify(counts));
  assert.equal(counts['new'], rows.length - done.size + 1);

  const second = startTestWorker({ env: n.env });
  cleanups.push(() => second.rowWorker.stop());
  let manifest: { id: string; status: string; text_sha256: string }[] = [];
  await until(async () => {
    const text = await readFile(join(n.outDir, 'manifest.json'), 'utf8').catch(() => '[]');
    manifest = JSON.parse(text) as typeof manifest;
    return manifest.length === rows.length && manifest.every((entry) => entry.status === 'completed');
  }, 'the run to finish');
  await second.rowWorker.stop();

  const newSubmits = n.sim.ledger().submits.slice(billedBefore);
  for (const line of done.values()) {
    const again = newSubmits.filter((submit) => submit.text_sha256 === line.text_sha256).length;
    assert.equal(again, line.id === tampered.id ? 1 : 0, `row ${line.id} billed ${again} more times`);
  }
  assert.deepEqual(
    manifest.map((entry) => entry.id),
    rows.map((row) => row.id),
    'the final manifest has every row, in script order',
  );
});

test('hostile output directory: a symlinked file and a line pointing outside the run are not adopted', async () => {
  const n = await startNight();
  cleanups.push(() => n.close());
  const rows = nightRows(5, 'hostile');
  await enqueueRowsOk(n.target, rows);
  const { rowWorker } = startTestWorker({ env: n.env });
  await until(async () => (await completedOnDisk(n)).size === rows.length, 'every row made');
  await rowWorker.stop();
  const lines = (await n.lines()) as unknown as (Line & Record<string, unknown>)[];
  const [linked, escaped] = lines;
  assert.ok(linked?.file && escaped?.file);

  // A byte-identical copy outside the run directory, reached through a symlink in it.
  const outside = join(n.target.outRoot, 'outside.wav');
  await copyFile(join(n.outDir, linked.file), outside);
  await rm(join(n.outDir, linked.file));
  await symlink(outside, join(n.outDir, linked.file));
  // A line claiming a file outside the run directory, with that file's true size and hash.
  await copyFile(join(n.outDir, escaped.file), join(n.target.outRoot, 'escaped.wav'));
  await rm(join(n.outDir, escaped.file));
  await appendFile(
    join(n.outDir, 'manifest.jsonl'),
    `${JSON.stringify({ ...escaped, file: '../escaped.wav' })}\n`,
  );

  n.client.on('error', () => {}); // it reconnects once the server is back
  await n.redis.kill();
  await n.redis.restart();
  const counts = rowCounts(await enqueueRowsOk(n.target, rows));
  assert.deepEqual([counts['adopted'], counts['new']], [rows.length - 2, 2], JSON.stringify(counts));
});

test('a finished run whose Redis was lost: enqueue adopts every row and writes the final manifests', async () => {
  const n = await startNight();
  cleanups.push(() => n.close());
  const rows = nightRows(4, 'whole');
  await enqueueRowsOk(n.target, rows);
  const { rowWorker } = startTestWorker({ env: n.env });
  await until(async () => (await completedOnDisk(n)).size === rows.length, 'every row made');
  await rowWorker.stop();
  await rm(join(n.outDir, 'manifest.json'));
  n.client.on('error', () => {}); // it reconnects once the server is back
  await n.redis.kill();
  await n.redis.restart();
  const billed = n.sim.ledger().submits.length;

  const stdout = await enqueueRowsOk(n.target, rows);
  assert.deepEqual(rowCounts(stdout), { new: 0, unchanged: 0, skipped: 0, adopted: 4 });
  assert.match(stdout, /^finished: wrote manifest\.json and manifest\.csv \(4 completed, 0 failed\)$/m);
  const manifest = JSON.parse(await readFile(join(n.outDir, 'manifest.json'), 'utf8')) as { id: string }[];
  assert.deepEqual(
    manifest.map((entry) => entry.id),
    rows.map((row) => row.id),
  );
  assert.equal(n.sim.ledger().submits.length, billed);
});
