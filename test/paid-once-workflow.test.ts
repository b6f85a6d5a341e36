import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertBilledAtMostRecorded, assertNoDuplicateLines } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { enqueueRowsOk, rowCounts, type ScriptRow } from './helpers/enqueue-rows.js';
import { nightRows, startNight, type Night } from './helpers/night.js';
import { finishedManifest, spawnWorker, until, type SpawnedWorker } from './helpers/processes.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

function spawned(env: Record<string, string>): SpawnedWorker {
  const child = spawnWorker(env);
  cleanups.push(() => child.kill('SIGKILL'));
  return child;
}

/** The manifest once every row has a line for its current text, read again until it says so. */
async function settledManifest(n: Night, rows: readonly ScriptRow[]): Promise<Record<string, unknown>[]> {
  let entries: Record<string, unknown>[] = [];
  await until(() => {
    entries = finishedManifest(n.outDir, rows.length) ?? [];
    return (
      entries.length === rows.length &&
      entries.every((entry, i) => entry['chars'] === [...(rows[i]?.text ?? '')].length)
    );
  }, 'the run to finish with the script as it stands');
  return entries;
}

test('a user workflow, run by worker processes: finish, enqueue again, edit 3 rows, retry, Redis restarted empty', async () => {
  const n = await startNight({ sim: { rateFailed: 0.1, seed: 5, latencyScale: 0.05 } });
  cleanups.push(() => n.close());
  let rows = nightRows(30, 'day');
  await enqueueRowsOk(n.target, rows);
  spawned(n.env);
  spawned(n.env);
  let entries = await settledManifest(n, rows);
  const firstBilled = n.sim.ledger().submits.length;
  assertBilledAtMostRecorded(n.sim.ledger(), entries);

  // The unchanged script again: nothing to do, nothing billed.
  const again = rowCounts(await enqueueRowsOk(n.target, rows));
  assert.equal(
    again['new'],
    entries.filter((entry) => entry['status'] === 'failed').length > 0 ? again['new'] : 0,
  );
  assert.equal(again['new'], 0, 'failed rows are retried with `retry`, not by enqueueing again');
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(
    n.sim.ledger().submits.length,
    firstBilled,
    'enqueueing a finished script again billed nothing',
  );

  // Three rows edited: exactly three new submits (unless the simulator fails one and it is retried).
  rows = rows.map((row, i) => (i % 10 === 3 ? { ...row, text: `${row.text} Edited.` } : row));
  assert.equal(rowCounts(await enqueueRowsOk(n.target, rows))['new'], 3);
  entries = await settledManifest(n, rows);
  assert.equal(n.sim.ledger().submits.length, firstBilled + 3, 'exactly the edited rows were billed');
  assertBilledAtMostRecorded(n.sim.ledger(), entries, 'current');

  // Retry the FAILED rows: one new, counted submit each.
  const failed = entries.filter((entry) => entry['status'] === 'failed');
  const beforeRetry = n.sim.ledger().submits.length;
  if (failed.length > 0) {
    assert.equal((await runCli(['retry', '--run', 'night'], n.env)).code, 0);
    await until(
      async () => (await n.lines()).length >= entries.length + 3 + failed.length,
      'the retried rows',
    );
    await until(() => {
      const now = finishedManifest(n.outDir, rows.length) ?? [];
      return failed.every(
        (f) => now.find((e) => e['id'] === f['id'])?.['submits'] === Number(f['submits']) + 1,
      );
    }, 'the retried rows in the manifest');
    assert.equal(n.sim.ledger().submits.length, beforeRetry + failed.length);
  }

  // Redis restarted empty mid-run (no persistence), then the user enqueues again.
  rows = rows.map((row) => ({ ...row, text: `${row.text} Second take.` }));
  assert.equal(rowCounts(await enqueueRowsOk(n.target, rows))['new'], rows.length);
  await until(() => n.sim.ledger().submits.length >= beforeRetry + failed.length + 10, 'rows in flight');
  await n.redis.kill();
  await n.redis.restart();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const recovered = await enqueueRowsOk(n.target, rows);
  assert.ok(
    (rowCounts(recovered)['adopted'] ?? 0) + (rowCounts(recovered)['new'] ?? 0) === rows.length,
    recovered,
  );
  entries = await settledManifest(n, rows);
  assert.ok(entries.every((entry) => entry['status'] === 'completed' || typeof entry['error'] === 'string'));
  assertBilledAtMostRecorded(n.sim.ledger(), entries, 'current');
  const lines = await n.lines();
  assertNoDuplicateLines(
    lines.filter((line) =>
      rows.some((row) => row.id === line['id'] && line['chars'] === [...row.text].length),
    ),
  );
});
