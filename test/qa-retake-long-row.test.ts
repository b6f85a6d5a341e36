import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sha256Hex } from '../src/enqueue/content-hash.js';
import { splitRowText } from '../src/enqueue/split-row.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { startNight } from './helpers/night.js';
import { finishedManifest, until } from './helpers/processes.js';
import { longText } from './helpers/rows.js';
import { startTestWorker } from './helpers/worker.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

type Entry = Record<string, unknown>;
type Part = { request_id: string; text_sha256: string; submits: number; resubmit_reasons: string[] };

test('retake of a long row sent in parts: every part is submitted again (a counted submit each), joined into the row file; with --voice in that voice', async () => {
  const n = await startNight();
  cleanups.push(() => n.close());
  const rows = [
    { id: 'short', text: 'A short row, sent whole.' },
    { id: 'long-a', text: longText(1) },
    { id: 'long-b', text: longText(2) },
  ];
  await enqueueRowsOk(n.target, rows);
  const { rowWorker } = startTestWorker({ env: n.env });
  cleanups.push(() => rowWorker.stop());
  let entries: Entry[] = [];
  await until(() => (entries = finishedManifest(n.outDir, 3) ?? []).length === 3, 'the run to finish');
  const entryOf = (id: string) => entries.find((entry) => entry['id'] === id);
  const firstParts = entryOf('long-a')?.['parts'] as Part[];
  const texts = (splitRowText(rows[1]?.text ?? '', 1500) ?? []).map((text) => sha256Hex(text));
  assert.ok(texts.length >= 3);
  assert.deepEqual(
    firstParts.map((part) => part.text_sha256),
    texts,
  );

  // Another voice: every part made again in it.
  const asked = await runCli(['retake', '--run', 'night', '--id', 'long-a', '--voice', 'Puck'], n.env);
  assert.equal(asked.code, 0, asked.stderr);
  assert.match(
    asked.stdout,
    /night\/long-a: a new take is queued .*voice_1 Puck; the new take replaces the old one/,
  );
  await until(() => {
    entries = finishedManifest(n.outDir, 3) ?? [];
    return entryOf('long-a')?.['submits'] === 2 * texts.length;
  }, 'the long row made again in parts');
  const a = entryOf('long-a');
  assert.equal(a?.['voice_1'], 'Puck');
  assert.deepEqual(a?.['override'], { voice_1: 'Puck' });
  const parts = a?.['parts'] as Part[];
  assert.deepEqual(
    parts.map((part) => [part.text_sha256, part.submits, part.resubmit_reasons]),
    texts.map((text) => [text, 2, ['retake']]),
  );
  for (const [index, text] of texts.entries()) {
    const billed = n.sim.ledger().submits.filter((submit) => submit.text_sha256 === text);
    assert.deepEqual(
      billed.map((submit) => submit.voice_1),
      ['Kore', 'Puck'],
    );
    assert.equal(parts[index]?.request_id, billed[1]?.request_id, 'the part is the new take');
  }

  // A plain retake of the other long row: its parts again, in the script's voice.
  const plain = await runCli(['retake', '--run', 'night', '--id', 'long-b'], n.env);
  assert.equal(plain.code, 0, plain.stderr);
  await until(() => {
    entries = finishedManifest(n.outDir, 3) ?? [];
    return (entryOf('long-b')?.['submits'] as number) > texts.length;
  }, 'the other long row made again');
  await rowWorker.stop();
  const b = entryOf('long-b');
  assert.equal(b?.['voice_1'], 'Kore');
  assert.equal(b?.['override'], undefined);
  const bParts = b?.['parts'] as Part[];
  for (const part of bParts) {
    const billed = n.sim.ledger().submits.filter((submit) => submit.text_sha256 === part.text_sha256);
    assert.equal(billed.length, 2);
    assert.equal(part.submits, 2);
    assert.deepEqual(part.resubmit_reasons, ['retake']);
    assert.equal(part.request_id, billed[1]?.request_id);
  }
  assert.equal(entryOf('short')?.['submits'], 1);
  assert.deepEqual(await readdir(join(n.outDir, '.parts')).catch((): string[] => []), []);
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries), 0);
});
