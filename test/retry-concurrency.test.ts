import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ROWS_QUEUE, rowJobId, runKeys } from '../src/queue/keys.js';
import { addRunStats, recordOutcome } from '../src/queue/run-outcomes.js';
import type { RowJobData } from '../src/queue/row-job.js';
import { retryFailedRows, RETRY_CONCURRENCY } from '../src/status/retry-failed.js';
import { manifestEntryFixture } from './helpers/manifest-entry.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { addRows, type FixtureRow } from './helpers/rows.js';
import { settled } from './helpers/worker.js';

let redis: PrivateRedis;
before(async () => {
  redis = await startPrivateRedis();
});
after(async () => {
  await redis.stop();
});

const rows = (label: string, count: number): FixtureRow[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `${label}${String(i).padStart(4, '0')}`,
    text: `${label} ${i}`,
  }));

test('retry works through hundreds of failed rows at once and keeps the counts exact', async (t) => {
  const prefix = uniquePrefix('rc');
  const run = 'bulk';
  const keys = runKeys(prefix, run);
  // Many times the concurrency, so rows of one batch overlap those of the next.
  const failedRows = rows('f', RETRY_CONCURRENCY * 10 + 7);
  const staleRows = rows('s', 23);
  const completedRow: FixtureRow = { id: 'c0000', text: 'recorded as completed, then the job failed' };
  const unrecordedRow: FixtureRow = { id: 'u0000', text: 'failed before any outcome was recorded' };
  const all = [...failedRows, ...staleRows, completedRow, unrecordedRow];
  const jobs = await addRows(redis.url, prefix, run, join(tmpdir(), prefix), all);
  const byId = new Map(jobs.map((data) => [data.id, data]));
  const jobId = (data: RowJobData) => rowJobId(run, data.id, data.contentHash);

  // Every job to BullMQ's failed set, as a worker leaves a row the API refused.
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(ROWS_QUEUE, { connection: client, prefix });
  const worker = new Worker(
    ROWS_QUEUE,
    () => {
      throw new UnrecoverableError('refused');
    },
    {
      connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null },
      prefix,
      concurrency: 50,
    },
  );
  // Closed even when an assertion fails, so that a failing test ends instead of hanging.
  t.after(async () => {
    await worker.close();
    await queue.close();
    client.disconnect();
  });
  assert.deepEqual(await settled(worker, all.length), { completed: 0, failed: all.length });
  await worker.close();

  // Outcomes and stats as the worker records them.
  for (const row of [...failedRows, ...staleRows]) {
    const data = byId.get(row.id)!;
    const entry = manifestEntryFixture({
      id: row.id,
      status: 'failed',
      error: 'refused',
      content_hash: data.contentHash,
    });
    assert.equal((await recordOutcome(client, prefix, run, entry)).recorded, true);
  }
  const completed = byId.get(completedRow.id)!;
  await recordOutcome(
    client,
    prefix,
    run,
    manifestEntryFixture({ id: completed.id, content_hash: completed.contentHash }),
  );
  await addRunStats(client, prefix, run, { failed: failedRows.length + staleRows.length, completed: 1 });
  // The stale rows were edited and re-enqueued since: their failed jobs are of an older version.
  for (const row of staleRows) await client.hset(keys.rows, row.id, `edited-${row.id}`);

  const result = await retryFailedRows({ queue, redis: client, prefix }, run);
  const retriedRows = [...failedRows, completedRow, unrecordedRow];
  assert.deepEqual(result, { run, retried: retriedRows.length, stale: staleRows.length });

  const states = await Promise.all(all.map((row) => queue.getJobState(jobId(byId.get(row.id)!))));
  const stateOf = new Map(all.map((row, i) => [row.id, states[i]]));
  for (const row of retriedRows) assert.equal(stateOf.get(row.id), 'waiting', row.id);
  for (const row of staleRows) assert.equal(stateOf.get(row.id), 'failed', row.id);
  assert.equal(await queue.getWaitingCount(), retriedRows.length);
  assert.equal(await queue.getFailedCount(), staleRows.length);

  const outcomes = await client.hgetall(keys.outcomes);
  assert.deepEqual(
    Object.keys(outcomes).sort(),
    [...staleRows.map((row) => row.id), completedRow.id].sort(),
    'the retried rows’ failed outcomes are gone; stale rows’ and the completed one are kept',
  );
  assert.equal((JSON.parse(outcomes[completedRow.id]!) as { status: string }).status, 'completed');
  const stats = await client.hgetall(keys.stats);
  assert.equal(
    Number(stats.failed),
    staleRows.length,
    'stats.failed dropped by exactly the outcomes removed',
  );
  assert.equal(Number(stats.completed), 1);

  // Nothing left to retry but the stale jobs.
  assert.deepEqual(await retryFailedRows({ queue, redis: client, prefix }, run), {
    run,
    retried: 0,
    stale: staleRows.length,
  });
  assert.equal(Number(await client.hget(keys.stats, 'failed')), staleRows.length);
});
