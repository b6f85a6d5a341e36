import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sha256Hex } from '../src/enqueue/content-hash.js';
import { splitRowText } from '../src/enqueue/split-row.js';
import { readWavInfo } from '../src/audio/wav-file.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { startNight, type Night } from './helpers/night.js';
import { finishedManifest, spawnWorker, until } from './helpers/processes.js';
import { longText } from './helpers/rows.js';
import { startTestWorker } from './helpers/worker.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

type Entry = Record<string, unknown>;
type Part = { request_id: string; text_sha256: string; submits: number; chars: number };

async function writeScript(n: Night, rows: readonly { id: string; text: string }[]): Promise<string> {
  const dir = join(n.target.outRoot, 'scripts');
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'long.jsonl');
  await writeFile(path, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  return path;
}

function billedBy(n: Night): Map<string, number> {
  const billed = new Map<string, number>();
  for (const submit of n.sim.ledger().submits)
    billed.set(submit.text_sha256, (billed.get(submit.text_sha256) ?? 0) + 1);
  return billed;
}

test('a row longer than the chunk size is sent in parts and joined into its one file, its entry listing the parts', async () => {
  const n = await startNight();
  cleanups.push(() => n.close());
  const rows = [
    { id: 'short', text: 'A short row, sent whole.' },
    { id: 'long-a', text: longText(1) },
    { id: 'long-b', text: longText(2) },
  ];
  const script = await writeScript(n, rows);
  // The dry run counts what is billed: a request per part.
  const requests = rows.reduce((sum, row) => sum + (splitRowText(row.text, 1500)?.length ?? 1), 0);
  const dry = await runCli(['enqueue', script, '--run', 'night', '--dry-run'], n.env);
  assert.match(
    dry.stdout,
    new RegExp(`requests: +${requests} \\(rows over TTS_CHUNK_CHARS are sent in parts\\)`),
  );
  const enqueued = await runCli(['enqueue', script, '--run', 'night'], n.env);
  assert.equal(enqueued.code, 0, enqueued.stderr);
  const { rowWorker } = startTestWorker({ env: n.env });
  cleanups.push(() => rowWorker.stop());
  let entries: Entry[] | undefined;
  await until(() => (entries = finishedManifest(n.outDir, rows.length)) !== undefined, 'the run to finish');
  await rowWorker.stop();
  const byId = new Map((entries ?? []).map((entry) => [String(entry['id']), entry]));

  assert.equal(byId.get('short')?.['parts'], undefined, 'a short row is sent whole');
  const billed = billedBy(n);
  for (const row of rows.slice(1)) {
    const entry = byId.get(row.id);
    assert.equal(entry?.['status'], 'completed', JSON.stringify(entry));
    const parts = entry?.['parts'] as Part[];
    const expected = splitRowText(row.text, 1500) ?? [];
    assert.ok(expected.length >= 3, `parts of ${row.id}: ${expected.length}`);
    assert.deepEqual(
      parts.map((part) => part.text_sha256),
      expected.map((text) => sha256Hex(text)),
      'the parts in order, as enqueue split them',
    );
    assert.ok(parts.every((part) => part.chars <= 2000 && typeof part.request_id === 'string'));
    assert.equal(
      entry?.['submits'],
      parts.reduce((sum, part) => sum + part.submits, 0),
    );
    assert.equal(entry?.['text_sha256'], sha256Hex(row.text));
    assert.equal(entry?.['request_id'], parts[0]?.request_id);
    // Paid once each: no faults, so every part's text was billed exactly once.
    for (const part of parts) assert.equal(billed.get(part.text_sha256), 1);
    // The joined file: one WAV whose length is what the manifest says.
    const file = join(n.outDir, String(entry?.['file']));
    assert.equal(entry?.['file'], `${row.id}.wav`);
    const info = await readWavInfo(file);
    assert.ok(Math.abs(info.frames / info.format.sampleRate - Number(entry?.['duration_s'])) < 0.001);
    const partSeconds = (parts as unknown as { duration_s: number }[]).reduce(
      (sum, part) => sum + part.duration_s,
      0,
    );
    assert.ok(Number(entry?.['duration_s']) > partSeconds * 0.5, 'the joined audio holds every part');
  }
  assert.equal(n.sim.ledger().submits.length, requests);
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries ?? []), 0);
  // Nothing left behind: no parts folder, no journals.
  assert.equal(existsSync(join(n.outDir, '.parts', 'long-a')), false);
  const hidden = (await readdir(n.outDir)).filter((name) => name.endsWith('.submits.jsonl'));
  assert.deepEqual(hidden, []);
});

test('a worker killed in the middle of a row sent in parts: the next one goes on from the part it reached, paying for no part twice', async () => {
  // Each request takes about a second: the worker is killed with a part in flight.
  const n = await startNight({ sim: { latencyScale: 1, fixedLatencyS: 1 } });
  cleanups.push(() => n.close());
  const rows = [{ id: 'chapter', text: longText(3) }];
  const expected = splitRowText(rows[0]?.text ?? '', 1500) ?? [];
  const script = await writeScript(n, rows);
  assert.equal((await runCli(['enqueue', script, '--run', 'night'], n.env)).code, 0);

  const first = spawnWorker(n.env);
  cleanups.push(() => first.kill('SIGKILL'));
  await until(() => n.sim.ledger().submits.length >= 2, 'two parts submitted', 6000);
  await first.kill('SIGKILL');
  const beforeKill = n.sim.ledger().submits.length;
  assert.ok(
    beforeKill < expected.length,
    `killed before the last part (${beforeKill} of ${expected.length})`,
  );

  const second = spawnWorker(n.env);
  cleanups.push(() => second.kill('SIGTERM'));
  let entries: Entry[] | undefined;
  await until(() => (entries = finishedManifest(n.outDir, 1)) !== undefined, 'the row to finish', 6000);
  await second.kill('SIGTERM');
  const entry = entries?.[0];
  assert.equal(entry?.['status'], 'completed', JSON.stringify(entry));
  const parts = entry?.['parts'] as Part[];
  assert.equal(parts.length, expected.length);
  const billed = billedBy(n);
  // Parts finished before the kill were not paid for again; the one in flight at most once more.
  for (const [index, text] of expected.entries()) {
    const count = billed.get(sha256Hex(text)) ?? 0;
    if (index < beforeKill - 1) assert.equal(count, 1, `part ${index} billed ${count} times`);
    assert.ok(
      count <= (parts[index]?.submits ?? 0),
      `part ${index}: billed ${count}, recorded ${parts[index]?.submits}`,
    );
  }
  assert.ok(assertBilledAtMostRecorded(n.sim.ledger(), entries ?? []) >= 0);
  assert.ok(existsSync(join(n.outDir, 'chapter.wav')));
});

test('parts as MP3 are joined frame by frame into the row’s one .mp3', async () => {
  const n = await startNight({ sim: { audio: 'mp3' } });
  cleanups.push(() => n.close());
  const rows = [{ id: 'long-mp3', text: longText(4) }];
  const script = await writeScript(n, rows);
  assert.equal((await runCli(['enqueue', script, '--run', 'night'], n.env)).code, 0);
  const { rowWorker } = startTestWorker({ env: n.env });
  cleanups.push(() => rowWorker.stop());
  let entries: Entry[] | undefined;
  await until(() => (entries = finishedManifest(n.outDir, 1)) !== undefined, 'the run to finish');
  await rowWorker.stop();
  const entry = entries?.[0];
  assert.equal(entry?.['status'], 'completed', JSON.stringify(entry));
  assert.equal(entry?.['file'], 'long-mp3.mp3');
  const parts = entry?.['parts'] as (Part & { duration_s: number })[];
  assert.ok(parts.length >= 3);
  const partSeconds = parts.reduce((sum, part) => sum + part.duration_s, 0);
  // Frames are joined as they are (no trimming): the row lasts as long as its parts together.
  assert.ok(
    Math.abs(Number(entry?.['duration_s']) - partSeconds) < 0.1,
    `${String(entry?.['duration_s'])} vs ${partSeconds}`,
  );
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries ?? []), 0);
});

test('a part whose inference fails fails its row with every part’s submits counted; retry pays only for the parts not made', async () => {
  const n = await startNight({ sim: { rateFailed: 0.4, seed: 11 } });
  cleanups.push(() => n.close());
  const rows = [{ id: 'unlucky', text: longText(5) }];
  const expected = splitRowText(rows[0]?.text ?? '', 1500) ?? [];
  const script = await writeScript(n, rows);
  assert.equal((await runCli(['enqueue', script, '--run', 'night'], n.env)).code, 0);
  const { rowWorker } = startTestWorker({ env: n.env });
  cleanups.push(() => rowWorker.stop());
  const queue = n.queue();
  let failures = 0;
  let entry: Entry | undefined;
  for (let round = 0; round < 30; round += 1) {
    // One manifest line per attempt's outcome.
    let lines: Entry[] = [];
    await until(async () => (lines = await n.lines()).length === round + 1, 'the row to end');
    entry = lines.at(-1);
    const billedNow = n.sim.ledger().submits.length;
    // Failed or completed, the entry records every submit its parts made (none was ambiguous here).
    assert.equal(entry?.['submits'], billedNow, JSON.stringify(entry));
    assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), [entry ?? {}]), 0);
    if (entry?.['status'] === 'completed') break;
    failures += 1;
    assert.match(String(entry?.['error']), /HTTP 422/);
    // The line is written before BullMQ moves the job to failed, which `retry` sends back.
    await until(async () => (await queue.getFailedCount()) === 1, 'the row’s job to be failed');
    const retried = await runCli(['retry', '--run', 'night'], n.env);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, /night: 1 failed row\(s\) back in the queue/);
  }
  await rowWorker.stop();
  assert.equal(entry?.['status'], 'completed');
  assert.ok(failures >= 1, 'the seed makes at least one part fail');
  // Every failure cost one more submit of the part that failed, never of the parts made before it.
  assert.equal(n.sim.ledger().submits.length, expected.length + failures);
});
