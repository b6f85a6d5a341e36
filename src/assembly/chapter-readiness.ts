import type { RedisClient } from '../redis/connection.js';
import { runKeys } from '../queue/keys.js';
import { decodeRowOutcome } from '../queue/row-outcome-codec.js';
import type { ChapterPlan, PlanChapter } from './chapter-plan.js';
import { chapterVersion } from './versions.js';

/** A chapter's rows as Redis has them now. */
export type ChapterReadiness =
  | {
      readonly ready: true;
      readonly version: string;
      /** Each row's audio file name in the run directory, in order. */
      readonly files: readonly string[];
      readonly done: number;
    }
  | { readonly ready: false; readonly done: number };

const HMGET_IDS = 1000;

/**
 * Whether every row of `chapter` is completed for its current content (the outcome's content
 * hash is the row's enqueued one), and if so the chapter's version and files.
 */
export async function chapterReadiness(
  redis: RedisClient,
  prefix: string,
  plan: ChapterPlan,
  chapter: PlanChapter,
): Promise<ChapterReadiness> {
  const keys = runKeys(prefix, plan.run);
  const files: string[] = [];
  const shas: string[] = [];
  let done = 0;
  for (let start = 0; start < chapter.rows.length; start += HMGET_IDS) {
    const ids = chapter.rows.slice(start, start + HMGET_IDS).map((row) => row.id);
    const replies = await redis
      .pipeline()
      .hmget(keys.outcomes, ...ids)
      .hmget(keys.rows, ...ids)
      .exec();
    const outcomes = (replies?.[0]?.[1] ?? []) as (string | null)[];
    const hashes = (replies?.[1]?.[1] ?? []) as (string | null)[];
    ids.forEach((_id, at) => {
      const outcome = decodeRowOutcome(outcomes[at]);
      if (
        outcome?.status === 'completed' &&
        outcome.contentHash === hashes[at] &&
        outcome.file !== null &&
        outcome.audioSha256 !== null
      ) {
        done += 1;
        files.push(outcome.file);
        shas.push(outcome.audioSha256);
      }
    });
  }
  if (done < chapter.rows.length || chapter.rows.length === 0) return { ready: false, done };
  return { ready: true, version: chapterVersion(plan, chapter, shas), files, done };
}
