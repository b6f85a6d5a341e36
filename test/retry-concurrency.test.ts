import assert from 'node:assert/strict';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { test } from 'node:test';
import { RETRY_CONCURRENCY } from '../src/status/retry-failed.js';
import { runCli } from './helpers/cli.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { nightRows, startNight } from './helpers/night.js';
import { finishedManifest, until } from './helpers/processes.js';
import { startTestWorker } from './helpers/worker.js';

test('retry sends back every failed row, many at a time, and leaves rows edited since alone', async () => {
  // Every inference fails: each row ends failed through the real worker.
  const n = await startNight({ sim: { rateFailed: 1 } });
  try {
    const rows = nightRows(RETRY_CONCURRENCY * 2 + 7, 'retry');
    await enqueueRowsOk(n.target, rows);
    const { rowWorker } = startTestWorker({ env: n.env, concurrency: 16 });
    await until(() => finishedManifest(n.outDir, rows.length) !== undefined, 'every row to fail');
    assertBilledAtMostRecorded(n.sim.ledger(), finishedManifest(n.outDir, rows.length) ?? []);
    await rowWorker.stop();
    const queue = n.queue();
    assert.equal((await queue.getJobCounts('failed'))['failed'], rows.length);
    const outcome = await runCli(['retry', '--run', 'night'], n.env);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stdout, new RegExp(`\\b${rows.length}\\b`));
    const counts = await queue.getJobCounts('failed', 'wait');
    assert.equal(counts['failed'], 0);
    assert.equal(counts['wait'], rows.length);
    const stats = await n.client.hgetall(`${n.env['TTS_QUEUE_PREFIX']}:run:night:stats`);
    assert.equal(Number(stats['failed'] ?? 0), 0, 'the failed outcomes went with the retry');
  } finally {
    await n.close();
  }
});
