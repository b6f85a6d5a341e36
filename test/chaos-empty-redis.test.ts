import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CHAOS_OPTIONS } from '../chaos/options.js';
import { formatChaosReport, runChaos } from '../chaos/scenario.js';

/**
 * The chaos run against a Redis that keeps nothing: killed at half the rows and restarted empty;
 * the script is enqueued again (as a user would) and the workers finish the run. Rows whose audio
 * is on disk are adopted, rows in flight resume from their submit journals: no row is billed
 * more than its entry records, none is lost, none recorded twice, and the counters of the new
 * Redis equal manifest.json (every row is recorded in it once: adopted or made).
 */
test('chaos: Redis restarted empty mid-run, the script enqueued again: audio adopted, nothing billed unrecorded', async () => {
  const report = await runChaos(
    { ...DEFAULT_CHAOS_OPTIONS, rows: 150, seed: 5, redisCrash: 'empty', timeoutMs: 15 * 60_000 },
    (line) => console.log(line),
  );
  const table = formatChaosReport(report);
  console.log(table);
  assert.equal(report.redisRestarts, 1, 'Redis was restarted empty once');
  assert.equal(report.reenqueues, 1, 'the script was enqueued again');
  assert.ok(report.adopted > 0, `rows with audio on disk were adopted\n${table}`);
  assert.equal(report.completed + report.failed, 150);
  assert.deepEqual(report.problems, [], table);
  assert.equal(report.counters.compared, true, table);
});
