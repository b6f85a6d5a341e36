import { lstat, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ROW_JOB_OPTIONS } from '../../src/queue/job-options.js';
import { globalKeys, ROWS_QUEUE, rowJobId } from '../../src/queue/keys.js';
import type { RowJobData } from '../../src/queue/row-job.js';
import type { RowOutcome } from '../../src/queue/row-outcome-codec.js';
import { scanRowOutcomes } from '../../src/queue/run-outcomes.js';
import { addRows, type FixtureRow } from './rows.js';

/** Every path under `root` (files, directories, symlinks), relative to it, sorted; symlinks not followed. */
export async function listTree(root: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      found.push(relative(root, path));
      const info = await lstat(path);
      if (info.isDirectory()) await walk(path);
    }
  }
  await walk(root);
  return found.sort();
}

/**
 * Rows as `addRows` puts them, then re-added with fewer, faster BullMQ attempts: the product's
 * 5 attempts at 5 s exponential would make a retried-then-failed row take over a minute.
 */
export async function addRowsWithAttempts(
  redisUrl: string,
  prefix: string,
  run: string,
  outDir: string,
  rows: readonly FixtureRow[],
  attempts: number,
  backoffMs = 50,
): Promise<RowJobData[]> {
  const jobs = await addRows(redisUrl, prefix, run, outDir, rows);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<RowJobData>(ROWS_QUEUE, { connection: redis, prefix });
  // Paused while swapped, so no worker takes a job with the product's options first.
  await queue.pause();
  for (const data of jobs) {
    const jobId = rowJobId(run, data.id, data.contentHash);
    await queue.remove(jobId);
    await queue.add('row', data, {
      ...ROW_JOB_OPTIONS,
      attempts,
      backoff: { type: 'fixed', delay: backoffMs },
      jobId,
    });
  }
  await queue.resume();
  // As `tts-batch enqueue` does, so that status, report and retry know the run.
  await redis.zadd(globalKeys(prefix).runs, Date.now(), run);
  await queue.close();
  redis.disconnect();
  return jobs;
}

/** The run's outcomes as recorded in Redis, by row id. */
export async function outcomesById(
  redisUrl: string,
  prefix: string,
  run: string,
): Promise<Map<string, RowOutcome>> {
  const redis = new Redis(redisUrl);
  try {
    const found = new Map<string, RowOutcome>();
    for await (const page of scanRowOutcomes(redis, prefix, run))
      for (const [id, outcome] of page) found.set(id, outcome);
    return found;
  } finally {
    redis.disconnect();
  }
}
