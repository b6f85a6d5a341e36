import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

type Qa = { status: string; reasons: string[]; takes: number };
const ROWS = 500;

test('every clip is checked as it arrives: a defective take is taken again (a counted submit), the better take kept, what stays bad marked needs_review', async () => {
  const events = join(tmpdir(), `tts-qa-events-${process.pid}.txt`);
  const n = await startNight({
    sim: { defectRate: 0.1, seed: 5 },
    env: {
      TTS_QA_RETAKES: '1',
      // The run's events, told to a command: run.finished, then run.needs_review with the count.
      TTS_NOTIFY_CMD: `printf '%s %s\\n' "$TTS_EVENT_TYPE" "$TTS_NEEDS_REVIEW" >> '${events}'`,
    },
  });
  cleanups.push(() => n.close());
  cleanups.push(() => rm(events, { force: true }));
  const dir = join(n.target.outRoot, 'scripts');
  await mkdir(dir, { recursive: true });
  const script = join(dir, 'qa.jsonl');
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    id: `q${i}`,
    text: `Clip number ${i} says a whole sentence of ordinary length, so that its duration can be judged.`,
  }));
  await writeFile(script, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  assert.equal((await runCli(['enqueue', script, '--run', 'night'], n.env)).code, 0);
  const { rowWorker } = startTestWorker({ env: n.env });
  cleanups.push(() => rowWorker.stop());
  let entries: Record<string, unknown>[] | undefined;
  await until(() => (entries = finishedManifest(n.outDir, ROWS)) !== undefined, 'the run to finish');
  const reviewed = (entries ?? []).filter((entry) => (entry['qa'] as Qa).status === 'needs_review').length;
  const told = reviewed > 0 ? ['run.finished 0', `run.needs_review ${reviewed}`] : ['run.finished 0'];
  await until(
    async () => (await readFile(events, 'utf8').catch(() => '')).trim().split('\n').length >= told.length,
    'the events to be told',
  );
  await rowWorker.stop();
  assert.deepEqual((await readFile(events, 'utf8')).trim().split('\n').sort(), told.sort());

  const ledger = n.sim.ledger();
  const submitsByText = new Map<string, { defect?: string }[]>();
  for (const submit of ledger.submits as unknown as { text_sha256: string; defect?: string }[])
    submitsByText.set(submit.text_sha256, [...(submitsByText.get(submit.text_sha256) ?? []), submit]);
  let defective = 0;
  let cleanFlagged = 0;
  for (const row of rows) {
    const entry = (entries ?? []).find((one) => one['id'] === row.id);
    assert.equal(entry?.['status'], 'completed');
    const qa = entry?.['qa'] as Qa;
    const takes = submitsByText.get(sha256Hex(row.text)) ?? [];
    assert.equal(entry?.['submits'], takes.length, `${row.id}: every take is a recorded submit`);
    assert.equal(qa.takes, takes.length);
    const first = takes[0];
    if (first?.defect !== undefined) {
      defective += 1;
      // Detected: the defective first take was not kept as good.
      assert.notEqual(qa.status, 'pass', `${row.id}: a ${first.defect} take passed`);
      assert.ok(takes.length === 2, `${row.id}: taken again once (TTS_QA_RETAKES=1)`);
      const why = entry?.['resubmit_reasons'] as string[];
      assert.equal(why.length, 1);
      assert.match(why[0] ?? '', /^qa:[a-z_]+$/, 'the re-take says which check failed');
      if (takes[1]?.defect === undefined) assert.equal(qa.status, 'retaken');
      else assert.equal(qa.status, 'needs_review');
    } else if (qa.status !== 'pass') cleanFlagged += 1;
  }
  console.log(
    `defective first takes: ${defective} of ${ROWS}; clean clips flagged: ${cleanFlagged}; needs review: ${(entries ?? []).filter((entry) => (entry['qa'] as Qa).status === 'needs_review').length}`,
  );
  assert.ok(defective >= 25, `the seed gives defects (${defective})`);
  // At most 1% of clean clips flagged.
  assert.ok(cleanFlagged <= (ROWS - defective) / 100, `clean clips flagged: ${cleanFlagged}`);
  assert.ok(assertBilledAtMostRecorded(ledger, entries ?? []) === 0);
  // The rows to listen to: in status, and in the morning report the run's finisher wrote.
  const review = (entries ?? []).filter((entry) => (entry['qa'] as Qa).status === 'needs_review');
  const status = (await runCli(['status', '--run', 'night'], n.env)).stdout;
  const html = await readFile(join(n.outDir, 'report.html'), 'utf8');
  if (review.length === 0) {
    assert.doesNotMatch(status, /needs review/);
    assert.match(html, /id="no-review"/);
  } else {
    assert.match(status, new RegExp(`needs review: ${review.length} rows?`));
    assert.match(html, new RegExp(`id="review-count">${review.length}<`));
    for (const entry of review) assert.ok(html.includes(`>${String(entry['id'])}<`));
  }
});
