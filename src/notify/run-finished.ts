import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { RunNotifier } from './notify-queue.js';
import { readReviewRows } from '../queue/run-review.js';
import { runEventId, runFinishedEvent } from './run-event.js';

export type RunFinishedInput = {
  readonly notifier: RunNotifier;
  readonly redis: Redis | Cluster;
  readonly prefix: string;
  readonly run: string;
  readonly outDir: string;
  readonly nowMs: number;
  readonly logger: Logger;
};

/** Rows named in `run.needs_review` (all are counted; status and report.html list them too). */
const REVIEW_ROWS_SENT = 100;

/**
 * Raises `run.finished` once the final manifests are written, then `run.needs_review` when rows
 * were kept with a take that failed its checks (its id follows the finish's: once per finish);
 * never throws (the run is finished either way).
 */
export async function raiseRunFinished(input: RunFinishedInput): Promise<void> {
  if (!input.notifier.enabled) return;
  try {
    const finished = await runFinishedEvent(input.redis, input.prefix, input.run, input.outDir, input.nowMs);
    await input.notifier.raise(finished);
    const review = await readReviewRows(input.redis, input.prefix, input.run, REVIEW_ROWS_SENT);
    if (review.count === 0) return;
    await input.notifier.raise({
      id: runEventId('run.needs_review', [finished.id]),
      type: 'run.needs_review',
      timestamp: finished.timestamp,
      data: { ...finished.data, reason: `${review.count} rows need review`, needs_review: review },
    });
  } catch (error) {
    input.logger.warn(
      { event: 'notify_raise_failed', err: (error as Error).message },
      'could not raise run.finished',
    );
  }
}
