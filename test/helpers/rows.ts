import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { ROWS_QUEUE } from '../../src/queue/keys.js';
import type { RowJobData } from '../../src/queue/row-job.js';
import type { ModelSlug } from '../../src/segmind/models.js';
import { runCli } from './cli.js';

export type FixtureRow = {
  readonly id: string;
  readonly text: string;
  readonly model?: ModelSlug;
  readonly voice_1?: string;
  readonly voice_2?: string;
  readonly temperature?: number;
};

export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

const sentence = (row: number, at: number) =>
  `Row ${row} goes on with sentence number ${at}, spoken slowly and with care, so that the listener can follow.`;

/** About 3,300 characters in three paragraphs: more than the default chunk size (1,500), so sent in parts. */
export const longText = (row: number): string =>
  [0, 1, 2]
    .map((p) => Array.from({ length: 10 }, (_, s) => sentence(row, p * 10 + s)).join(' '))
    .join('\n\n');

/**
 * Enqueues `rows` into `run` the way a user does: a JSONL script (with a `chapter` column) run
 * through the real `tts-batch enqueue`, so that worker tests start from the state the product
 * writes. `outDir` must be `<root>/<run>` (enqueue's layout). Resolves to the jobs' payloads in
 * script order.
 */
export async function addRows(
  redisUrl: string,
  prefix: string,
  run: string,
  outDir: string,
  rows: readonly FixtureRow[],
): Promise<RowJobData[]> {
  assert.equal(basename(outDir), run, 'addRows: outDir must be <root>/<run>');
  const scriptDir = join(tmpdir(), `tts-rows-${randomBytes(6).toString('hex')}`);
  await mkdir(scriptDir, { recursive: true });
  const script = join(scriptDir, 'rows.jsonl');
  await writeFile(script, rows.map((row) => JSON.stringify({ ...row, chapter: '1' })).join('\n') + '\n');
  try {
    const outcome = await runCli(['enqueue', script, '--run', run], {
      REDIS_URL: redisUrl,
      TTS_QUEUE_PREFIX: prefix,
      TTS_OUT_DIR: dirname(outDir),
    });
    assert.equal(outcome.code, 0, `enqueue failed:\n${outcome.stdout}\n${outcome.stderr}`);
  } finally {
    await rm(scriptDir, { recursive: true, force: true });
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<RowJobData>(ROWS_QUEUE, { connection: redis, prefix });
  try {
    const jobs = (await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active'])) as Job<RowJobData>[];
    const mine = jobs.filter((job) => job.data.run === run).map((job) => job.data);
    return mine.sort((a, b) => a.seq - b.seq);
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
