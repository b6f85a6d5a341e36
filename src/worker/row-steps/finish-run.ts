import { setTimeout as delay } from 'node:timers/promises';
import { sweepStaleTemps } from '../../output/run-files.js';
import { raiseRunFinished } from '../../notify/run-finished.js';
import { writeRunReport } from '../../report/report-html-write.js';
import type { Row, RowContext } from './row-context.js';

/** Tries at writing the final manifests while another worker's line is still coming, and the wait between. */
const FINISH_ROUNDS = 10;
const FINISH_RETRY_MS = 300;
/** Another host's temporary file untouched this long belongs to a writer that is gone. */
export const ABANDONED_TEMP_MS = 10 * 60_000;

export async function finishRun(row: Row, context: RowContext): Promise<void> {
  try {
    for (let round = 1; ; round += 1) {
      const written = await writeRunReport({
        redis: context.redis,
        prefix: context.prefix,
        run: row.data.run,
        outDir: row.outDir,
        nowMs: context.now(),
      });
      // Another worker recorded a row before this one and is appending its line right now: the
      // manifests are written again once it is there (by this loop, or by that worker).
      if (written.unlined.length > 0 && round < FINISH_ROUNDS) {
        await delay(FINISH_RETRY_MS, undefined, { signal: row.signal });
        continue;
      }
      row.logger.info(
        { event: 'run_finished', outDir: row.outDir, completed: written.completed, failed: written.failed },
        'run finished; manifest written',
      );
      await scheduleAfterFinish(row, context);
      const { redis, prefix, notify: notifier, logger } = context;
      await raiseRunFinished({
        notifier,
        redis,
        prefix,
        run: row.data.run,
        outDir: row.outDir,
        nowMs: context.now(),
        logger,
      });
      // What writers killed on this host left (a row's audio is swept when it completes; a writer
      // killed after another worker completed its row is swept here), and what others left long ago.
      await sweepStaleTemps(row.outDir, 'any', ABANDONED_TEMP_MS);
      return;
    }
  } catch (error) {
    if (row.signal.aborted) {
      // Stopped while waiting for another worker's line: that worker writes them when it notes it.
      row.logger.info({ event: 'final_manifest_left' }, 'stopping: final manifests left to the last line');
      return;
    }
    row.logger.error(
      { event: 'final_manifest_failed', err: (error as Error).message },
      'run finished but its final manifests could not be written: run `npm run report` once the cause is fixed',
    );
  }
}

/** The assembly jobs due when a run finishes; a failure to add them is said, not the run's. */
async function scheduleAfterFinish(row: Row, context: RowContext): Promise<void> {
  try {
    await context.afterRunFinished(row.data.run);
  } catch (error) {
    row.logger.error(
      { event: 'finish_assembly_not_scheduled', err: (error as Error).message },
      'run finished but its clip masters could not be scheduled: enqueue the script again once the cause is fixed',
    );
  }
}
