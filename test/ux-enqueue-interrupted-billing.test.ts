import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { enqueueRows, enqueueRowsOk, rowCounts } from './helpers/enqueue-rows.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { nightRows, startNight } from './helpers/night.js';
import { finishedManifest, until } from './helpers/processes.js';
import { startTestWorker } from './helpers/worker.js';

// An enqueue stopped part-way by Redis running out of memory, completed by running the same
// command again, then worked through: every row is made and billed once.
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const usedMemory = async (info: Promise<string>) => Number(/used_memory:(\d+)/.exec(await info)?.[1]);

test('a run half-enqueued (Redis out of memory) and completed by the same command is paid once per row', async () => {
  const rows = nightRows(400, 'oom');
  // What this script takes in Redis: measured on a first night, then thrown away.
  const scratch = await startNight({ sim: { latencyScale: 0.001 } });
  const base = await usedMemory(scratch.client.info('memory'));
  await enqueueRowsOk(scratch.target, rows);
  const full = await usedMemory(scratch.client.info('memory'));
  await scratch.close();

  const night = await startNight({ sim: { latencyScale: 0.001 } });
  cleanups.push(() => night.close());
  const start = await usedMemory(night.client.info('memory'));
  await night.client.config('SET', 'maxmemory', String(start + Math.floor((full - base) * 0.6)));
  const stopped = await enqueueRows(night.target, rows);
  await night.client.config('SET', 'maxmemory', '0');
  assert.equal(stopped.code, 1, stopped.stdout);
  assert.match(stopped.stderr, /is partly queued: [\d,]+ of 400 new rows got a job/);

  const again = rowCounts(await enqueueRowsOk(night.target, rows));
  assert.equal((again['new'] ?? 0) + (again['unchanged'] ?? 0), rows.length);
  assert.ok((again['unchanged'] ?? 0) > 0, 'some rows had their job before the stop');

  const { rowWorker } = startTestWorker({ env: night.env, concurrency: 64 });
  cleanups.push(() => rowWorker.stop());
  let entries: Record<string, unknown>[] | undefined;
  await until(
    () => (entries = finishedManifest(night.outDir, rows.length)) !== undefined,
    'the run to finish',
  );
  assert.ok(entries);
  assert.ok(entries.every((entry) => entry['status'] === 'completed'));
  assert.equal(night.sim.ledger().submits.length, rows.length, 'one billed submit per row');
  assertBilledAtMostRecorded(night.sim.ledger(), entries);
});
