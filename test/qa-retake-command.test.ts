import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sha256Hex } from '../src/enqueue/content-hash.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { startNight } from './helpers/night.js';
import { finishedManifest, until } from './helpers/processes.js';
import { startTestWorker } from './helpers/worker.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

test('retake: a person asks for a new take of a finished row; it is a counted submit, checked, the better take kept, the manifests rewritten', async () => {
  const n = await startNight();
  cleanups.push(() => n.close());
  const dir = join(n.target.outRoot, 'scripts');
  await mkdir(dir, { recursive: true });
  const script = join(dir, 'takes.jsonl');
  const rows = [0, 1, 2].map((i) => ({
    id: `t${i}`,
    text: `Take number ${i} of a line the producer may not like.`,
  }));
  await writeFile(script, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  assert.equal((await runCli(['enqueue', script, '--run', 'night'], n.env)).code, 0);
  const { rowWorker } = startTestWorker({ env: n.env });
  cleanups.push(() => rowWorker.stop());
  await until(() => finishedManifest(n.outDir, 3) !== undefined, 'the run to finish');

  // Refused: an unknown row, a voice no model has (--voice and --temperature: qa-retake-override.test.ts).
  const unknown = await runCli(['retake', '--run', 'night', '--id', 'nope'], n.env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /run `night` has no row `nope`/);
  const voice = await runCli(['retake', '--run', 'night', '--id', 't1', '--voice', 'Nobody'], n.env);
  assert.equal(voice.code, 2);
  assert.match(voice.stderr, /Expected `--voice` to be one of the Gemini voices/);

  const lines = (await n.lines()).length;
  const asked = await runCli(['retake', '--run', 'night', '--id', 't1'], n.env);
  assert.equal(asked.code, 0, asked.stderr);
  assert.match(asked.stdout, /night\/t1: a new take is queued/);
  await until(async () => (await n.lines()).length === lines + 1, 'the new take to be recorded');
  let entries: Record<string, unknown>[] | undefined;
  await until(() => {
    entries = finishedManifest(n.outDir, 3);
    return entries?.find((entry) => entry['id'] === 't1')?.['submits'] === 2;
  }, 'the manifests rewritten with the new take');
  await rowWorker.stop();

  const t1 = entries?.find((entry) => entry['id'] === 't1');
  assert.equal(t1?.['status'], 'completed');
  assert.deepEqual(t1?.['resubmit_reasons'], ['retake']);
  const qa = t1?.['qa'] as { status: string; takes: number };
  assert.equal(qa.takes, 2);
  assert.equal(qa.status, 'retaken', 'both takes pass: the new one is kept');
  const billed = n.sim
    .ledger()
    .submits.filter((submit) => submit.text_sha256 === sha256Hex(rows[1]?.text ?? ''));
  assert.equal(billed.length, 2, 'the new take was billed once');
  assert.equal(t1?.['request_id'], billed[1]?.request_id, "the row's audio is the new take's");
  assert.ok(existsSync(join(n.outDir, 't1.wav')));
  // The better take kept, the other one gone (it was worse or equal).
  assert.deepEqual(await readdir(join(n.outDir, '.takes')).catch(() => []), []);
  // Other rows untouched; status counts the run finished again.
  for (const id of ['t0', 't2']) assert.equal(entries?.find((entry) => entry['id'] === id)?.['submits'], 1);
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries ?? []), 0);
  const status = JSON.parse((await runCli(['status', '--run', 'night', '--json'], n.env)).stdout) as
    { runs?: { done: number; finished: boolean }[] } | { done: number; finished: boolean }[];
  const run = Array.isArray(status) ? status[0] : status.runs?.[0];
  assert.equal(run?.done, 3);
  assert.equal(run?.finished, true);
});
