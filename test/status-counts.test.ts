import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { globalKeys, ROWS_QUEUE, runKeys } from '../src/queue/keys.js';
import { countJobsByRun } from '../src/status/run-jobs.js';
import { readProgress } from '../src/status/run-progress.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { addRows, type FixtureRow } from './helpers/rows.js';

let redis: PrivateRedis;
before(async () => {
  redis = await startPrivateRedis();
});
after(async () => {
  await redis.stop();
});

const rows = (count: number): FixtureRow[] =>
  Array.from({ length: count }, (_, i) => ({ id: `r${i}`, text: `row ${i}` }));

/** A queue, a client and a worker that takes jobs by hand, so that jobs stay where a test puts them. */
function openQueue(t: TestContext, prefix: string) {
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(ROWS_QUEUE, { connection: client, prefix });
  const worker = new Worker(ROWS_QUEUE, null, {
    connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null },
    prefix,
  });
  t.after(async () => {
    await worker.close(true);
    await queue.close();
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
    await rm(join(tmpdir(), prefix), { recursive: true, force: true });
  });
  return { client, queue, worker };
}

test("with only the run's jobs queued, its counts by job id equal BullMQ's counters", async (t) => {
  const prefix = uniquePrefix('sc');
  const run = 'only';
  await addRows(redis.url, prefix, run, join(tmpdir(), prefix, run), rows(30));
  const { client, queue, worker } = openQueue(t, prefix);
  // 5 failed, 2 active, 3 delayed (as `enqueue --at` leaves them: the same run's rows, held back).
  for (let n = 0; n < 5; n += 1) {
    const job = await worker.getNextJob('fail-token');
    assert.ok(job);
    await job.moveToFailed(new UnrecoverableError('refused'), 'fail-token');
  }
  for (let n = 0; n < 2; n += 1) assert.ok(await worker.getNextJob(`active-token-${n}`));
  for (let n = 0; n < 3; n += 1) {
    await client.hset(runKeys(prefix, run).rows, `later${n}`, '0');
    await queue.add('row', {}, { jobId: `${run}/later${n}/0`, delay: 3_600_000 });
  }

  const counted = (await countJobsByRun({ queue, redis: client, prefix })).get(run);
  const bullmq = await queue.getJobCounts('active', 'wait', 'prioritized', 'delayed', 'failed');
  assert.deepEqual(counted, bullmq);
  assert.deepEqual(counted, { active: 2, wait: 30 - 5 - 2, prioritized: 0, delayed: 3, failed: 5 });
});

test("jobs planted with ids that are not the run's change none of its figures (a sole run too)", async (t) => {
  const prefix = uniquePrefix('sp');
  const run = 'only';
  await addRows(redis.url, prefix, run, join(tmpdir(), prefix, run), rows(3));
  const { client, queue, worker } = openQueue(t, prefix);
  await client.zadd(globalKeys(prefix).runs, Date.now(), run);
  // Two rows made (their jobs removed on completion, as ROW_JOB_OPTIONS says), one waiting.
  for (let n = 0; n < 2; n += 1) {
    const job = await worker.getNextJob('done-token');
    assert.ok(job);
    await job.moveToCompleted('made', 'done-token', false);
  }
  await client.hset(runKeys(prefix, run).stats, 'completed', '2');
  const nowMs = Date.now();
  const honest = await readProgress({ queue, redis: client, prefix, nowMs });
  assert.equal(honest[0]?.waiting, 1);
  assert.equal(honest[0]?.finished, false);

  // The attacker's action: jobs added straight to the queue, failed by a worker, or left waiting.
  const failedIds = ['evil', 'other-run/r0/0', `${run}/not-a-row/0`, `${run}/r2/not-its-content`];
  for (const jobId of failedIds) await queue.add('row', { outDir: '/tmp/elsewhere' }, { jobId, lifo: true });
  for (let n = 0; n < failedIds.length; n += 1) {
    const job = await worker.getNextJob('plant-token');
    assert.ok(job?.id !== undefined && failedIds.includes(job.id), `planted job taken, got ${job?.id}`);
    await job.moveToFailed(new UnrecoverableError('planted'), 'plant-token');
  }
  await queue.add('row', {}, { jobId: 'stray' });
  await queue.add('row', {}, { jobId: 'other-run/r1/0' });
  await queue.add('row', {}, { jobId: 'other-run/r2/0', delay: 3_600_000 });
  await queue.add('row', {}, { jobId: 'stray-later', delay: 3_600_000 });
  assert.equal((await queue.getJobCounts('failed')).failed, failedIds.length);

  assert.deepEqual(await readProgress({ queue, redis: client, prefix, nowMs }), honest);
});
