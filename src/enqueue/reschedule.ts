import type { Job, Queue } from 'bullmq';
import type { RowJobData } from '../queue/row-job.js';
import { jobIdsIn, runOfJobId } from '../status/run-jobs.js';
import { ROW_JOB_OPTIONS } from '../queue/job-options.js';

/** Jobs handled at once while rescheduling (each is one or two round trips). */
const RESCHEDULE_BATCH = 200;

/**
 * Brings the jobs already queued for a run in line with a new `--at` given on a re-enqueue, so
 * that the schedule `status` shows is the one the jobs follow (before, unchanged rows kept the
 * schedule of the enqueue that added them):
 *
 * - a schedule in the future: delayed jobs are moved to it (`changeDelay`); waiting jobs are
 *   removed and added again, same id, data and progress, delayed until it (BullMQ cannot move a
 *   waiting job to delayed in place). Their attempt counter restarts. A job a worker took in the
 *   meantime cannot be removed and is left to finish.
 * - no schedule (start now): delayed jobs are promoted to waiting, including rows held back by a
 *   retry backoff, which merely run a little early.
 *
 * Active and failed jobs are left alone. Resolves to the number of jobs moved.
 */
export async function rescheduleRunJobs(
  queue: Queue,
  run: string,
  scheduledAt: number,
  nowMs: () => number,
): Promise<number> {
  const later = scheduledAt > nowMs();
  const states = later ? (['delayed', 'wait', 'prioritized'] as const) : (['delayed'] as const);
  // Ids first, then changes: moving jobs while paging through a state list would skip some.
  const listed: { id: string; state: (typeof states)[number] }[] = [];
  for (const state of states) {
    for await (const id of jobIdsIn(queue, state)) if (runOfJobId(id) === run) listed.push({ id, state });
  }
  let moved = 0;
  for (let start = 0; start < listed.length; start += RESCHEDULE_BATCH) {
    const results = await Promise.all(
      listed
        .slice(start, start + RESCHEDULE_BATCH)
        .map(({ id, state }) => moveJob(queue, id, state, later, scheduledAt, nowMs)),
    );
    moved += results.filter(Boolean).length;
  }
  return moved;
}

/**
 * Moves one job from the state it was listed in. If it has left that state since (a worker took
 * it, it finished), BullMQ refuses the change and the job is left as it is.
 */
async function moveJob(
  queue: Queue,
  id: string,
  state: 'delayed' | 'wait' | 'prioritized',
  later: boolean,
  scheduledAt: number,
  nowMs: () => number,
): Promise<boolean> {
  const job = (await queue.getJob(id)) as Job<RowJobData> | undefined;
  if (!job) return false;
  try {
    if (state === 'delayed') {
      if (later) await job.changeDelay(Math.max(0, scheduledAt - nowMs()));
      else await job.promote();
      return true;
    }
    // Listed waiting (or prioritized), which happens only for a later schedule.
    if (later) {
      // 0 when a worker has just taken it: then it runs now, as it would have.
      if ((await queue.remove(id)) !== 1) return false;
      await queue.add('row', job.data, {
        ...ROW_JOB_OPTIONS,
        jobId: id,
        delay: Math.max(0, scheduledAt - nowMs()),
      });
      return true;
    }
  } catch {
    // The job moved on between the read and the change (a worker took it, or it finished).
  }
  return false;
}
