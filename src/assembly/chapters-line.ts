import { join } from 'node:path';
import type { RedisClient } from '../redis/connection.js';
import { CHAPTERS_JSON } from './chapters-json.js';
import { readChapterPlan } from './plan-store.js';
import { runPlan } from './schedule-assembly.js';

/** What enqueue says of a run with chapters: how many, and how to tell the book is done. */
export async function chaptersLine(
  redis: RedisClient,
  prefix: string,
  run: string,
): Promise<string | undefined> {
  const found = await runPlan({ redis, prefix, readPlan: readChapterPlan }, run);
  if (found === undefined) return undefined;
  const count = found.plan.chapters.length;
  return (
    `chapters: ${count} (the workers join them into chapters/ and ${run}.m4b; ` +
    `the book is done when ${join(found.outDir, CHAPTERS_JSON)} exists)`
  );
}
