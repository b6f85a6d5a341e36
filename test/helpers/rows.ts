import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ROWS_QUEUE, rowJobId, runKeys } from '../../src/queue/keys.js';
import { ROW_JOB_OPTIONS } from '../../src/queue/job-options.js';
import type { RowJobData, RowProgress } from '../../src/queue/row-job.js';
import type { ModelSlug } from '../../src/segmind/models.js';

export type FixtureRow = {
  readonly id: string;
  readonly text: string;
  readonly model?: ModelSlug;
  readonly voice_1?: string;
  readonly voice_2?: string;
  readonly temperature?: number;
  readonly progress?: RowProgress;
};

export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * Puts rows straight into Redis the way `tts-batch enqueue` does (the contract of
 * src/queue/row-job.ts and keys.ts), so worker tests do not depend on the script reader.
 */
export async function addRows(
  redisUrl: string,
  prefix: string,
  run: string,
  outDir: string,
  rows: readonly FixtureRow[],
): Promise<RowJobData[]> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<RowJobData>(ROWS_QUEUE, { connection: redis, prefix });
  const keys = runKeys(prefix, run);
  const jobs = rows.map((row, seq): RowJobData => {
    const request = {
      text: row.text,
      model: row.model ?? 'gemini-3.1-flash-tts',
      voice_1: row.voice_1 ?? 'Kore',
      ...(row.voice_2 ? { voice_2: row.voice_2 } : {}),
      temperature: row.temperature ?? 0.4,
    } as const;
    const contentHash = sha256(
      JSON.stringify([
        request.text,
        request.model,
        request.voice_1,
        row.voice_2 ?? null,
        request.temperature,
      ]),
    ).slice(0, 16);
    return {
      run,
      id: row.id,
      line: seq + 2,
      seq,
      request,
      meta: { chapter: '1' },
      contentHash,
      textSha256: sha256(row.text),
      outDir,
      ...(row.progress ? { progress: row.progress } : {}),
    };
  });
  await redis.hset(keys.meta, {
    name: run,
    outDir,
    rows: String(rows.length),
    createdAt: String(Date.now()),
  });
  for (const job of jobs) await redis.hset(keys.rows, job.id, job.contentHash);
  await queue.addBulk(
    jobs.map((data) => ({
      name: 'row',
      data,
      opts: { ...ROW_JOB_OPTIONS, jobId: rowJobId(run, data.id, data.contentHash) },
    })),
  );
  await queue.close();
  redis.disconnect();
  return jobs;
}
