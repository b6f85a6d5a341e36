import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ROWS_QUEUE } from '../src/queue/keys.js';
import { countJobsByRun, countSoleRunJobs } from '../src/status/run-jobs.js';
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

test("a single run's job counts from BullMQ's counters equal those from reading every job id", async (t) => {
  const prefix = uniquePrefix('sc');
  const run = 'only';
  await addRows(redis.url, prefix, run, join(tmpdir(), prefix), rows(30));
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(ROWS_QUEUE, { connection: client, prefix });
  // Taken by hand, so that jobs stay where the test puts them: 5 failed, 2 active, 3 delayed.
  const worker = new Worker(ROWS_QUEUE, null, {
    connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null },
    prefix,
  });
  t.after(async () => {
    await worker.close(true);
    await queue.close();
    client.disconnect();
  });
  for (let n = 0; n < 5; n += 1) {
    const job = await worker.getNextJob('fail-token');
    assert.ok(job);
    await job.moveToFailed(new UnrecoverableError('refused'), 'fail-token');
  }
  for (let n = 0; n < 2; n += 1) assert.ok(await worker.getNextJob(`active-token-${n}`));
  // As `enqueue --at` leaves them: the same run's ids, held back.
  for (let n = 0; n < 3; n += 1)
    await queue.add('row', {}, { jobId: `${run}/later${n}/0`, delay: 3_600_000 });

  const scanned = (await countJobsByRun(queue)).get(run);
  const counted = (await countSoleRunJobs(queue, run)).get(run);
  assert.deepEqual(counted, scanned);
  assert.equal(counted?.failed, 5);
  assert.equal(counted?.active, 2);
  assert.equal(counted?.delayed, 3);
  assert.equal(counted?.wait, 30 - 5 - 2);
  assert.equal(counted?.prioritized, 0);
});
