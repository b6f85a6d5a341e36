import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { startNight, type Night } from './helpers/night.js';
import { finishedManifest, until } from './helpers/processes.js';
import { startTestWorker } from './helpers/worker.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const sentence = (chapter: number, at: number) =>
  `In chapter ${chapter} the narrator says sentence ${at} clearly, and then pauses for breath.`;
const BOOK = [1, 2, 3]
  .map(
    (chapter) =>
      `# Chapter ${chapter}\n\n${[0, 1].map((p) => Array.from({ length: 6 }, (_, s) => sentence(chapter, p * 6 + s)).join(' ')).join('\n\n')}\n`,
  )
  .join('\n');

test('a Markdown book given to enqueue is chunked as import writes it, and a worker makes every row once', async () => {
  const n: Night = await startNight();
  cleanups.push(() => n.close());
  const dir = join(n.target.outRoot, 'books');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tale.md'), BOOK);
  const env = { ...n.env, TTS_OUT_DIR: n.target.outRoot };

  // The script import writes, and what enqueue makes of the book directly: the same rows.
  assert.equal((await runCli(['import', 'tale.md'], env, dir)).code, 0);
  const imported = (await readFile(join(dir, 'tale.jsonl'), 'utf8'))
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as { id: string; text: string; chapter: string });
  assert.ok(imported.length >= 6, `rows: ${imported.length}`);
  const dryBook = await runCli(['enqueue', 'tale.md', '--run', 'tale', '--dry-run'], env, dir);
  const dryScript = await runCli(['enqueue', 'tale.jsonl', '--run', 'tale', '--dry-run'], env, dir);
  assert.equal(dryBook.code, 0, dryBook.stderr);
  assert.equal(dryBook.stdout, dryScript.stdout);
  assert.match(dryBook.stdout, new RegExp(`rows: +${imported.length}\\n`));

  const real = await runCli(['enqueue', 'tale.md', '--run', 'tale'], env, dir);
  assert.equal(real.code, 0, real.stderr);
  const { rowWorker } = startTestWorker({ env });
  cleanups.push(() => rowWorker.stop());
  const outDir = join(n.target.outRoot, 'tale');
  let entries: Record<string, unknown>[] | undefined;
  await until(
    () => (entries = finishedManifest(outDir, imported.length)) !== undefined,
    'the book to finish',
  );
  await rowWorker.stop();
  assert.deepEqual(
    (entries ?? []).map((entry) => entry['id']),
    imported.map((row) => row.id),
  );
  assert.ok((entries ?? []).every((entry) => entry['status'] === 'completed'));
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries ?? []), 0);
  assert.equal(n.sim.ledger().submits.length, imported.length, 'every chunk paid once');
});
