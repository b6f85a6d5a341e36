import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { rowJobEntry } from '../../src/enqueue/add-jobs.js';
import { contentHash } from '../../src/enqueue/content-hash.js';
import { ROWS_QUEUE, runKeys } from '../../src/queue/keys.js';
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
  const entries = rows.map((row, seq) => {
    const request = {
      text: row.text,
      model: row.model ?? 'gemini-3.1-flash-tts',
      voice_1: row.voice_1 ?? 'Kore',
      ...(row.voice_2 ? { voice_2: row.voice_2 } : {}),
      temperature: row.temperature ?? 0.4,
    } as const;
    const entry = rowJobEntry(
      run,
      outDir,
      { seq, line: seq + 2, request, meta: { chapter: '1' } },
      row.id,
      contentHash(request),
    );
    return row.progress ? { ...entry, data: { ...entry.data, progress: row.progress } } : entry;
  });
  const jobs = entries.map((entry) => entry.data);
  await redis.hset(keys.meta, {
    name: run,
    outDir,
    rows: String(rows.length),
    createdAt: String(Date.now()),
  });
  for (const job of jobs) await redis.hset(keys.rows, job.id, job.contentHash);
  await queue.addBulk(entries);
  await queue.close();
  redis.disconnect();
  return jobs;
}
