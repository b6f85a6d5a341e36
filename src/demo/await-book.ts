import type { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { Queue } from 'bullmq';
import type { AssemblyJobData } from '../assembly/assembly-jobs.js';
import { readAssemblyNotes } from '../assembly/assembly-state.js';
import { readChaptersJson, type ChaptersJson } from '../assembly/chapters-json.js';
import { ASSEMBLY_QUEUE } from '../queue/keys.js';
import type { QueueSession } from '../queue/queue-session.js';

/** The assembled book, or why there is none. */
export type AwaitedBook = { readonly book: ChaptersJson } | { readonly missing: string };

export type AwaitBookOptions = {
  readonly run: string;
  readonly runDir: string;
  /** The run's Redis and key prefix. */
  readonly session: Pick<QueueSession, 'redis' | 'prefix'>;
  /** Where each chapter's assembly is said as it lands. */
  readonly out: Writable;
  readonly signal: AbortSignal;
  /** Gives up after this long with no assembly job queued or running: the book would never come. */
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly nowMs?: () => number;
};

/**
 * Waits until the assembly has written the run's `chapters.json` (its last output: the book is
 * done when it exists), saying each chapter as it is assembled; ends early when one of the run's
 * assembly jobs has failed for good (its reason), when `signal` fires, or once `timeoutMs` has
 * passed with no assembly job queued or running.
 */
export async function awaitBook(options: AwaitBookOptions): Promise<AwaitedBook> {
  const { run, session, out, signal } = options;
  const nowMs = options.nowMs ?? Date.now;
  let deadline = nowMs() + options.timeoutMs;
  const queue = new Queue<AssemblyJobData>(ASSEMBLY_QUEUE, {
    connection: session.redis,
    prefix: session.prefix,
  });
  const chaptersSaid = new Set<number>();
  try {
    for (;;) {
      // Every chapter's note is written before the book's job starts: all are said by the end.
      const notes = await readAssemblyNotes(session.redis, session.prefix, run);
      // Chapters are assembled in the order their last rows finish, not their own.
      for (const [index, note] of [...notes.chapters].sort(([a], [b]) => a - b)) {
        if (!chaptersSaid.has(index)) out.write(`assembled: chapter ${index} (${note.file ?? ''})\n`);
        chaptersSaid.add(index);
      }
      const book = await readChaptersJson(options.runDir);
      if (book !== undefined) return { book };
      const failed = (await queue.getFailed()).find((job) => job.data.run === run);
      if (failed !== undefined) {
        return { missing: `the book's assembly failed (job ${failed.id}): ${failed.failedReason}` };
      }
      if (signal.aborted) return { missing: 'demo stopped before the book was assembled' };
      // A slow machine is not a stuck one: the wait runs out only while nothing is being assembled.
      const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
      if (Object.values(counts).some((count) => count > 0)) deadline = nowMs() + options.timeoutMs;
      if (nowMs() >= deadline) {
        return {
          missing: `the book was not assembled: no assembly job queued or running for ${Math.round(options.timeoutMs / 1000)} s, and no chapters.json in ${options.runDir}`,
        };
      }
      await delay(options.intervalMs ?? 200, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    await queue.close();
  }
}
