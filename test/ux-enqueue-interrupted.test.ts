import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Job } from 'bullmq';
import { rowJobId } from '../src/queue/keys.js';
import type { RowJobData } from '../src/queue/row-job.js';
import { readEnqueueState, rowsWithoutJob } from '../src/enqueue/enqueue-state.js';
import { readProgress } from '../src/status/run-progress.js';
import { makeSandbox, type Sandbox } from './fixtures/scripts/enqueue-harness.js';
import { runCli } from './helpers/cli.js';
import { until } from './helpers/processes.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

// A big enqueue stopped part-way (Redis out of memory, Ctrl-C) used to exit 1 with a raw error
// and no word that the run was half queued. Now it says how far it got, and the same command
// completes the run with one job per row.
const ROOT = join(import.meta.dirname, '..');

let redis: PrivateRedis;
before(async () => {
  redis = await startPrivateRedis();
});
after(async () => {
  await redis.stop();
});

const script = (rows: number) =>
  'id,text,chapter\n' +
  Array.from({ length: rows }, (_, i) => `r${i},Line ${i} of a chapter read aloud slowly.,${i % 7}\n`).join(
    '',
  );

/** Every row of the run has exactly one job in the queue, the one of its current content. */
async function assertOneJobPerRow(box: Sandbox, run: string, rows: number): Promise<void> {
  const jobs = (await box.queue().getJobs(['waiting', 'delayed', 'prioritized'])) as Job<RowJobData>[];
  const runJobs = jobs.filter((job) => job.data.run === run);
  assert.equal(runJobs.length, rows);
  const ids = new Set(runJobs.map((job) => job.data.id));
  assert.equal(ids.size, rows);
  for (const job of runJobs) assert.equal(job.id, rowJobId(run, job.data.id, job.data.contentHash));
}

test('Redis out of memory part-way: how many rows got jobs, and the same command completes the run', async () => {
  const box = await makeSandbox(redis.url, uniquePrefix('oom'));
  const admin = box.redis();
  try {
    const rows = 4000;
    await box.write('big.csv', script(rows));
    // What a whole enqueue of this script takes in Redis, measured on a scratch run, then gone.
    const base = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
    const scratch = await makeSandbox(redis.url, uniquePrefix('scratch'));
    await scratch.write('big.csv', script(rows));
    assert.equal((await scratch.enqueue('big.csv')).code, 0);
    const full = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
    await admin.flushall();
    await scratch.close();

    await admin.config('SET', 'maxmemory', String(base + Math.floor((full - base) * 0.6)));
    const stopped = await box.enqueue('big.csv', '--run', 'big');
    await admin.config('SET', 'maxmemory', '0');
    assert.equal(stopped.code, 1, stopped.stdout);
    assert.match(
      stopped.stderr,
      /enqueue of run big stopped part-way \(Redis refused a write: out of memory\)/,
    );
    const said =
      /run `big` is partly queued: ([\d,]+) of 4,000 new rows got a job; [\d,]+ have none yet\./.exec(
        stopped.stderr,
      );
    assert.ok(said, stopped.stderr);
    // Exactly as many as it said, the jobs of a chunk cut off part-way included.
    assert.equal(await box.queue().getWaitingCount(), Number(said[1]?.replaceAll(',', '')));
    assert.match(stopped.stderr, /Run the same command again to complete it/);
    assert.match(stopped.stderr, /Redis is out of memory \(maxmemory\)/);
    assert.doesNotMatch(stopped.stderr, /at .*\.ts:\d+/);

    const again = await box.enqueue('big.csv', '--run', 'big');
    assert.equal(again.code, 0, again.stderr);
    const counts = /rows: new (\d+), unchanged (\d+), skipped 0/.exec(again.stdout);
    assert.ok(counts, again.stdout);
    assert.equal(Number(counts[1]) + Number(counts[2]), rows);
    assert.ok(Number(counts[2]) > 0, 'some rows were queued before the stop');
    await assertOneJobPerRow(box, 'big', rows);
  } finally {
    await admin.config('SET', 'maxmemory', '0');
    await box.close();
  }
});

test('Ctrl-C (SIGINT) part-way through a big enqueue: exit 1, how far it got; the same command completes it', async () => {
  const box = await makeSandbox(redis.url, uniquePrefix('sigint'));
  try {
    const rows = 50_000;
    await box.write('big.csv', script(rows));
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin/tts-batch.js'), 'enqueue', 'big.csv', '--run', 'big'],
      {
        cwd: box.dir,
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...box.env },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    const waitKey = `${box.prefix}:rows:wait`;
    await until(
      async () => (await box.redis().llen(waitKey)) > 0 || child.exitCode !== null,
      'the first jobs',
      6000,
      10,
    );
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 1, stderr);
    const said =
      /run `big` is partly queued: ([\d,]+) of 50,000 new rows got a job; ([\d,]+) have none yet\./.exec(
        stderr,
      );
    assert.ok(said, stderr);
    assert.match(stderr, /stopped part-way \(received SIGINT\)/);
    assert.match(stderr, /Run the same command again to complete it/);
    const queuedBefore = await box.queue().getWaitingCount();
    assert.ok(queuedBefore < rows, 'stopped before the end');
    assert.equal(queuedBefore, Number(said[1]?.replaceAll(',', '')), 'as many jobs as it said');

    // What status can show: the enqueue stopped, and how many rows have no job yet.
    assert.equal((await readEnqueueState(box.redis(), box.prefix, 'big')).kind, 'interrupted');
    const [progress] = await readProgress({ queue: box.queue(), redis: box.redis(), prefix: box.prefix });
    assert.ok(progress);
    assert.equal(rowsWithoutJob(progress), rows - queuedBefore);
    const again = await box.enqueue('big.csv', '--run', 'big');
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await readEnqueueState(box.redis(), box.prefix, 'big')).kind, 'complete');
    assert.match(
      again.stdout,
      new RegExp(`rows: new ${rows - queuedBefore}, unchanged ${queuedBefore}, skipped 0`),
    );
    await assertOneJobPerRow(box, 'big', rows);
  } finally {
    await box.close();
  }
});

test('stopped before the run reached Redis (Ctrl-C while reading, Redis full from the start): nothing enqueued, said so', async () => {
  const box = await makeSandbox(redis.url, uniquePrefix('early'));
  const admin = box.redis();
  try {
    await box.write('s.csv', script(10));
    const stop = new AbortController();
    stop.abort(new Error('received SIGINT'));
    const interrupted = await runCli(['enqueue', 's.csv'], box.env, box.dir, stop.signal);
    assert.equal(interrupted.code, 1);
    assert.match(interrupted.stderr, /stopped before the run was written to Redis; nothing was enqueued/);

    await admin.config('SET', 'maxmemory', '1');
    const full = await box.enqueue('s.csv');
    await admin.config('SET', 'maxmemory', '0');
    assert.equal(full.code, 1);
    assert.match(full.stderr, /Redis refused a write: out of memory \(maxmemory\); nothing was enqueued/);
    assert.deepEqual(await box.queue().getJobCounts('waiting'), { waiting: 0 });
  } finally {
    await admin.config('SET', 'maxmemory', '0');
    await box.close();
  }
});
