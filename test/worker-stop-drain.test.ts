import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { nightRows } from './helpers/night.js';
import { nightKit } from './helpers/night-kit.js';
import { until } from './helpers/processes.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});
const { night, worker, finished } = nightKit(cleanups);

test('a worker told to stop starts no submit: rows still waiting for a request slot go back unpaid', async () => {
  // One request slot every 2 s; a grace period of 8 s in which the old worker went on submitting.
  const n = await night({ env: { SEGMIND_RPM: '30', TTS_SHUTDOWN_GRACE_MS: '8000' } });
  const rows = nightRows(6, 'drain');
  await enqueueRowsOk(n.target, rows);
  const first = worker(n.env, 4);
  await until(() => n.sim.ledger().submits.length >= 1, 'the first submit');
  const atStop = n.sim.ledger().submits.length;
  await first.stop();
  const afterStop = n.sim.ledger().submits.length;
  // A POST whose slot was granted just before stop() may still arrive; nothing after it.
  assert.ok(afterStop - atStop <= 1, `the stopping worker submitted ${afterStop - atStop} more rows`);
  worker({ ...n.env, SEGMIND_RPM: '100000' });
  const entries = await finished(n, rows.length);
  assert.ok(entries.every((entry) => entry['status'] === 'completed'));
  assertBilledAtMostRecorded(n.sim.ledger(), entries);
  assert.equal(n.sim.ledger().submits.length, rows.length, 'every row paid once');
});

test('rows a stopping worker hands back are taken first: paid requests are collected before new rows are submitted', async () => {
  // Inference takes seconds: the first worker's two rows are awaiting their requests when it stops.
  const n = await night({ sim: { latencyScale: 0.15 }, env: { TTS_SHUTDOWN_GRACE_MS: '100' } });
  const rows = nightRows(8, 'front');
  await enqueueRowsOk(n.target, rows);
  const first = worker(n.env, 2);
  await until(() => n.sim.ledger().submits.length === 2, 'two rows submitted');
  await first.stop();
  const paid = new Set(n.sim.ledger().submits.map((submit) => submit.text_sha256));
  assert.equal(paid.size, 2);
  // One row at a time: the order of manifest.jsonl is the order the rows were taken in.
  worker(n.env, 1);
  const entries = await finished(n, rows.length);
  assertBilledAtMostRecorded(n.sim.ledger(), entries);
  assert.equal(n.sim.ledger().submits.length, rows.length, 'every row paid once');
  const lines = await n.lines();
  assert.deepEqual(
    lines.slice(0, 2).map((line) => paid.has(String(line['text_sha256']))),
    [true, true],
    `the handed-back rows were not taken first: ${lines.map((line) => String(line['id'])).join(', ')}`,
  );
});
