import { appendLine, sweepStaleTemps } from '../../output/run-files.js';
import { encodeRowOutcome } from '../../queue/row-outcome-codec.js';
import { recordRowOutcome } from '../../queue/run-outcomes.js';
import { MANIFEST_LINES_FILE } from '../../report/run-manifests.js';
import { HandBack } from '../row-signals.js';
import { ABANDONED_TEMP_MS, finishRun } from './finish-run.js';
import { appendLineOrHandBack, lineWritten, markLinedOrHandBack } from './manifest-append.js';
import { manifestEntry, rowOutcome, type OutcomeInput } from './manifest-line.js';
import type { Row, RowContext } from './row-context.js';
import { saveProgress } from './save-progress.js';

/** A recorded outcome whose manifest line is still missing this long after is taken to be orphaned. */
const LINE_ORPHANED_MS = 30_000;

/**
 * Records how the row ended, once: the outcome in Redis (counted in the run's stats on the first
 * record only), then its line in manifest.jsonl (appended by the recorder only), then, if this
 * was the run's last row, the final manifests. A failure to write a manifest is never the row's
 * outcome: the row is handed back to write it later, its outcome kept.
 */
export async function recordStep(row: Row, context: RowContext, outcome: OutcomeInput): Promise<'done'> {
  await saveProgress(row, {});
  const { data } = row;
  const entry = manifestEntry(data, row.progress, row.attempt, outcome, new Date(context.now()), row.parts);
  const stats = { audioMs: (entry.duration_s ?? 0) * 1000, costUsd: entry.cost ?? 0 };
  const kept = rowOutcome(entry, outcome);
  const recorded = await recordRowOutcome(
    context.redis,
    context.prefix,
    data.run,
    data.id,
    kept,
    stats,
    context.now(),
  );
  const line = { text: JSON.stringify(entry), outcome: encodeRowOutcome(kept) };
  switch (recorded.result) {
    case 'stale':
      row.logger.warn(
        { event: 'stale_outcome' },
        'row was enqueued again with other content; outcome not recorded',
      );
      return 'done';
    case 'forgotten':
      // Redis lost the run. Paid audio is kept with its line, which a re-enqueue adopts it from;
      // a failure is not written down (the row is decided again when the script is enqueued
      // again, its submits kept in its journal).
      row.logger.warn(
        { event: 'row_forgotten', status: outcome.status },
        'Redis does not know this row (restarted empty, flushed, or a job that enqueue did not add)',
      );
      if (outcome.status === 'completed') {
        await appendLine(row.outDir, MANIFEST_LINES_FILE, line.text);
        await row.journal.remove(row.data.id);
      }
      return 'done';
    case 'duplicate':
      if (recorded.lined) {
        // Recorded and lined by another worker (this one lost the row meanwhile): the journal,
        // which this worker may have written to since, is done with.
        if (outcome.status === 'completed') await row.journal.remove(data.id);
        if (recorded.finished) await finishRun(row, context);
        return 'done';
      }
      if (context.now() - recorded.recordedAtMs < LINE_ORPHANED_MS) {
        throw new HandBack(
          'outcome recorded by another worker; its manifest line is not written yet',
          LINE_ORPHANED_MS,
        );
      }
      break;
    case 'recorded':
      break;
  }
  // The outcome may have been recorded and its line written before (a worker killed between the
  // line and marking it, a Redis crash that lost the mark or the record): never a second line.
  if (await lineWritten(row, outcome.status, line.outcome)) {
    row.logger.info({ event: 'line_found' }, 'manifest line already written; not appending it again');
    const finished = await markLinedOrHandBack(row, context);
    if (row.progress.saved) await row.journal.remove(data.id);
    if (finished) await finishRun(row, context);
    return 'done';
  }
  // The manifests are written once every outcome's line is: by whoever appends the last line.
  const finished = await appendLineOrHandBack(row, context, line);
  if (outcome.status === 'completed') {
    row.logger.info(
      { event: 'row_completed', requestId: entry.request_id, file: entry.file },
      'row completed',
    );
    // What a killed writer of this row left (here: any dead process's; elsewhere: once old).
    await sweepStaleTemps(row.outDir, [`${data.id}.wav`, `${data.id}.mp3`], ABANDONED_TEMP_MS);
  }
  if (finished) await finishRun(row, context);
  return 'done';
}
