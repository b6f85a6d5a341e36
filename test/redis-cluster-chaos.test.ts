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
test('chaos on a cluster: worker kills, a master killed and one frozen, both failed over, lose nothing', async () => {
  const report = await runChaos(
    { ...DEFAULT_CHAOS_OPTIONS, rows: 400, seed: 3, redisCrash: 'failover', timeoutMs: 15 * 60_000 },
    (line) => console.log(line),
  );
  const table = formatChaosReport(report);
  console.log(table);
  assert.ok(report.workerKills >= 2, `workers were killed\n${table}`);
  assert.equal(report.redisRestarts, 1, 'a master was killed once');
  assert.equal(report.redisFreezes, 1, 'a master was frozen once');
  assert.ok(report.frozenMs >= 3 * CHAOS_LOCK_MS, 'for longer than the job lock');
  assert.equal(report.completed + report.failed, 400);
  assert.deepEqual(report.problems, [], table);
  assert.equal(report.counters.compared, true, table);
  const orphanable = report.workerKills * DEFAULT_CHAOS_OPTIONS.concurrency + (report.injected['reset'] ?? 0);
  assert.ok(report.extraSubmits <= orphanable, `more extra billing than kills and resets explain\n${table}`);
});
