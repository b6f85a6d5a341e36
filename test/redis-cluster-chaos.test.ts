import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHAOS_LOCK_MS, DEFAULT_CHAOS_OPTIONS } from '../chaos/options.js';
import { formatChaosReport, runChaos } from '../chaos/scenario.js';

/**
 * The CI-sized chaos run on a Redis Cluster (`npm run chaos -- --cluster`): 3 masters with a
 * replica each, workers stopped every 3 s (SIGKILL and SIGTERM in turn), the master of the run's
 * slot SIGKILLed at half the rows (its replica takes over with what asynchronous replication had
 * sent it), then the new master frozen for three job locks (failed over again). Judged as
 * test/chaos.test.ts judges the single server: nothing lost, every extra billing explained.
 */
const ROWS = 600;

test('chaos on a cluster: worker kills, a master killed and one frozen, both failed over, lose nothing', async () => {
  const report = await runChaos(
    // On a quiet machine the rows left after the kill at half were all made while the failover
    // was awaited, so the freeze at three quarters never came: slower requests (latency x0.1),
    // more rows, and the freeze due as soon as the failover is done leave it rows to freeze.
    {
      ...DEFAULT_CHAOS_OPTIONS,
      rows: ROWS,
      seed: 3,
      redisCrash: 'failover',
      latencyScale: 0.1,
      freezeAtShare: 0.55,
      timeoutMs: 15 * 60_000,
    },
    (line) => console.log(line),
  );
  const table = formatChaosReport(report);
  console.log(table);
  assert.ok(report.workerKills >= 2, `workers were killed\n${table}`);
  assert.equal(report.redisRestarts, 1, 'a master was killed once');
  assert.equal(report.redisFreezes, 1, 'a master was frozen once');
  assert.ok(report.frozenMs >= 3 * CHAOS_LOCK_MS, 'for longer than the job lock');
  assert.equal(report.completed + report.failed, ROWS);
  assert.deepEqual(report.problems, [], table);
  assert.equal(report.counters.compared, true, table);
  const orphanable = report.workerKills * DEFAULT_CHAOS_OPTIONS.concurrency + (report.injected['reset'] ?? 0);
  assert.ok(report.extraSubmits <= orphanable, `more extra billing than kills and resets explain\n${table}`);
});
