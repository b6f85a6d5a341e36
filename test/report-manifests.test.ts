import assert from 'node:assert/strict';
import { appendFile, readFile, readdir, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeLineTable } from '../src/report/line-table.js';
import { writeRunManifests } from '../src/report/run-manifests.js';
import { runCli } from './helpers/cli.js';
import { enqueueRowsOk, type ScriptRow } from './helpers/enqueue-rows.js';
import { startNight, type Night } from './helpers/night.js';
import { finishedManifest, until } from './helpers/processes.js';
import { startTestWorker } from './helpers/worker.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function night(): Promise<Night> {
  const started = await startNight();
  cleanups.push(() => started.close());
  return started;
}

const ROWS: ScriptRow[] = [
  { id: 'z-last-id', text: 'First in the script, last in id order.', chapter: '1', title: 'Open' },
  { id: 'a', text: 'Second, with "quotes", commas and\na line break.', chapter: '1' },
  { id: '-dash', text: 'A row whose id a spreadsheet would read as a formula.', chapter: '=2+2' },
  { id: 'm', text: 'Fourth and last.', chapter: '2', mood: 'calm' },
];

async function finishRun(n: Night, rows: readonly ScriptRow[]): Promise<Record<string, unknown>[]> {
  await enqueueRowsOk(n.target, rows);
  const { rowWorker } = startTestWorker({ env: n.env });
  try {
    let entries: Record<string, unknown>[] | undefined;
    await until(() => (entries = finishedManifest(n.outDir, rows.length)) !== undefined, 'the run to finish');
    return entries ?? [];
  } finally {
    await rowWorker.stop();
  }
}

test('the final manifests are the last manifest.jsonl line of each row, in script order', async () => {
  const n = await night();
  const written = await finishRun(n, ROWS);
  const lines = await n.lines();
  const expected = ROWS.map((row) => {
    const { content_hash: _hash, ...entry } = lines.filter((line) => line['id'] === row.id).at(-1) ?? {};
    return entry;
  });
  assert.deepEqual(written, expected, 'manifest.json: every line as written, content_hash left out');
  assert.equal(
    await readFile(join(n.outDir, 'manifest.json'), 'utf8'),
    `${JSON.stringify(expected, null, 2)}\n`,
  );

  const csv = (await readFile(join(n.outDir, 'manifest.csv'), 'utf8')).split('\r\n');
  assert.match(csv[0] ?? '', /^id,line,status,file,.*,calls,resubmit_reasons,chapter,title,mood$/);
  assert.deepEqual(
    csv.slice(1, -1).map((line) => line.split(',')[0]),
    ['z-last-id', 'a', "'-dash", 'm'],
  );
  assert.match(csv[2] ?? '', /,1,,$/, 'metadata cells of a row without them are empty');
  assert.ok(csv[3]?.includes(",'=2+2,"), 'a formula in metadata is neutralised');
  assert.deepEqual(
    (await readdir(n.outDir)).filter((name) => name.endsWith('.tmp')),
    [],
  );

  // Written again from the same lines: the same bytes, and the counts of the report command.
  const again = await writeRunManifests({
    redis: n.client,
    prefix: n.env['TTS_QUEUE_PREFIX'] ?? '',
    run: 'night',
    outDir: n.outDir,
  });
  assert.deepEqual(again, { completed: 4, failed: 0, pending: [], missingFiles: [], unlined: [] });
  assert.equal(
    await readFile(join(n.outDir, 'manifest.json'), 'utf8'),
    `${JSON.stringify(expected, null, 2)}\n`,
  );
});

test('a row whose manifest line is torn is left out and listed, never written from a guess', async () => {
  const n = await night();
  await finishRun(n, ROWS);
  const path = join(n.outDir, 'manifest.jsonl');
  const text = await readFile(path, 'utf8');
  const lastLine = text.trimEnd().split('\n').at(-1) ?? '';
  const tornId = String((JSON.parse(lastLine) as { id: string }).id);
  // A crash in the middle of the last append: half the line on disk.
  await truncate(path, Buffer.byteLength(text) - Math.ceil(Buffer.byteLength(lastLine) / 2) - 1);
  const report = await runCli(['report', '--run', 'night'], n.env);
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /3 completed, 0 failed, 1 pending/);
  assert.match(report.stdout, new RegExp(`finished, manifest.jsonl line not written yet: ${tornId}`));
  const manifest = JSON.parse(await readFile(join(n.outDir, 'manifest.json'), 'utf8')) as { id: string }[];
  assert.deepEqual(
    manifest.map((entry) => entry.id),
    ROWS.map((row) => row.id).filter((id) => id !== tornId),
  );
});

test('a row whose line was appended twice is in the manifests once, from its last line', async () => {
  const n = await night();
  await finishRun(n, ROWS);
  const lines = await n.lines();
  // A worker that took its row's line for missing appends it again (the same outcome, later).
  const second = lines[1];
  assert.ok(second);
  const again: Record<string, unknown> = { ...second, finished_at: '2030-01-01T00:00:00.000Z' };
  await appendFile(join(n.outDir, 'manifest.jsonl'), `${JSON.stringify(again)}\n`);
  const written = await writeRunManifests({
    redis: n.client,
    prefix: n.env['TTS_QUEUE_PREFIX'] ?? '',
    run: 'night',
    outDir: n.outDir,
  });
  assert.equal(written.completed, ROWS.length);
  const manifest = JSON.parse(await readFile(join(n.outDir, 'manifest.json'), 'utf8')) as Record<
    string,
    unknown
  >[];
  assert.deepEqual(
    manifest.map((entry) => entry['id']),
    ROWS.map((row) => row.id),
  );
  assert.equal(manifest.find((entry) => entry['id'] === again['id'])?.['finished_at'], again['finished_at']);
});

test('the line table keeps 24 bytes a line, grows, and finds rows by id key', () => {
  const table = makeLineTable(0);
  const ids = Array.from({ length: 3000 }, (_, i) => `row-${i}`);
  ids.forEach((id, i) => table.push({ offset: i * 100, bytes: 99 }, ids.length - i, id));
  table.push({ offset: 300_000, bytes: 5 }, 7, 'row-7');
  assert.equal(table.count, 3001);
  assert.deepEqual(table.span(3000), { offset: 300_000, bytes: 5 });
  assert.equal(table.seq(0), 3000);
  const byKey = Uint32Array.from({ length: table.count }, (_, at) => at).sort((a, b) =>
    table.compareKeys(a, b),
  );
  for (const id of ['row-0', 'row-2999', 'row-7']) assert.equal(table.hasKey(byKey, id), true);
  assert.equal(table.hasKey(byKey, 'row-3000'), false);
  const sevens = [...byKey].filter((at) => table.sameKey(at, 7));
  assert.deepEqual(sevens, [7, 3000], "a row's lines are together, in file order");
});
