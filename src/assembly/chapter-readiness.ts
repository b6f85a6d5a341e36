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

const HMGET_IDS = 500;

export type ReadinessOptions = {
  /**
   * Stop at the first batch of rows with one not done, reading from the chapter's end (rows finish
   * roughly in order, so an unfinished chapter is told from its last rows): what a worker asks
   * after every row. `done` then counts only the rows read.
   */
  readonly untilIncomplete?: boolean;
};

/**
 * Whether every row of `chapter` is completed for its current content (the outcome's content
 * hash is the row's enqueued one), and if so the chapter's version and files.
 */
export async function chapterReadiness(
  redis: RedisClient,
  prefix: string,
  plan: ChapterPlan,
  chapter: PlanChapter,
  options: ReadinessOptions = {},
): Promise<ChapterReadiness> {
  const keys = runKeys(prefix, plan.run);
  const starts = Array.from(
    { length: Math.ceil(chapter.rows.length / HMGET_IDS) },
    (_, at) => at * HMGET_IDS,
  );
  const batches = new Map<number, { files: string[]; shas: string[] }>();
  let done = 0;
  for (const start of options.untilIncomplete ? starts.reverse() : starts) {
    const ids = chapter.rows.slice(start, start + HMGET_IDS).map((row) => row.id);
    const replies = await redis
      .pipeline()
      .hmget(keys.outcomes, ...ids)
      .hmget(keys.rows, ...ids)
      .exec();
    const outcomes = (replies?.[0]?.[1] ?? []) as (string | null)[];
    const hashes = (replies?.[1]?.[1] ?? []) as (string | null)[];
    const batch = { files: [] as string[], shas: [] as string[] };
    ids.forEach((_id, at) => {
      const outcome = decodeRowOutcome(outcomes[at]);
      if (
        outcome?.status === 'completed' &&
        outcome.contentHash === hashes[at] &&
        outcome.file !== null &&
        outcome.audioSha256 !== null
      ) {
        batch.files.push(outcome.file);
        batch.shas.push(outcome.audioSha256);
      }
    });
    done += batch.files.length;
    batches.set(start, batch);
    if (options.untilIncomplete && batch.files.length < ids.length) return { ready: false, done };
  }
  if (done < chapter.rows.length || chapter.rows.length === 0) return { ready: false, done };
  const inOrder = [...batches.entries()].sort(([a], [b]) => a - b).map(([, batch]) => batch);
  return {
    ready: true,
    version: chapterVersion(
      plan,
      chapter,
      inOrder.flatMap((batch) => batch.shas),
    ),
    files: inOrder.flatMap((batch) => batch.files),
    done,
  };
}
