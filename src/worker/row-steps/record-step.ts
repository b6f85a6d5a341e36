import { setTimeout as delay } from 'node:timers/promises';
import { appendLine, sweepStaleTemps } from '../../output/run-files.js';
import { markLined, recordRowOutcome } from '../../queue/run-outcomes.js';
import { writeRunManifests } from '../../report/run-manifests.js';
import { HandBack } from '../row-signals.js';
import { manifestEntry, rowOutcome, type OutcomeInput } from './manifest-line.js';
import type { Row, RowContext } from './row-context.js';
import { saveProgress } from './save-progress.js';

/** A recorded outcome whose manifest line is still missing this long after is taken to be orphaned. */
const LINE_ORPHANED_MS = 30_000;
/** Another host's temporary audio file untouched this long belongs to a writer that is gone. */
const ABANDONED_TEMP_MS = 10 * 60_000;
/** Tries at writing the final manifests while another worker's line is still coming, and the wait between. */
const FINISH_ROUNDS = 10;
const FINISH_RETRY_MS = 300;
/** How often a refused manifest line is tried again. */
const LINE_RETRY_MS = 2_000;

/**
 * Records how the row ended, once: the outcome in Redis (counted in the run's stats on the first
 * record only), then its line in manifest.jsonl (appended by the recorder only), then, if this
 * was the run's last row, the final manifests. A failure to write a manifest is never the row's
 * outcome: the row is handed back to write it later, its outcome kept.
 */
export async function recordStep(row: Row, context: RowContext, outcome: OutcomeInput): Promise<'done'> {
  await saveProgress(row, {});
  const { data } = row;
  const entry = manifestEntry(data, row.progress, row.attempt, outcome, new Date(context.now()));
  const stats = { audioMs: (entry.duration_s ?? 0) * 1000, costUsd: entry.cost ?? 0 };
  const recorded = await recordRowOutcome(
    context.redis,
    context.prefix,
    data.run,
    data.id,
    rowOutcome(entry, outcome),
    stats,
    context.now(),
  );
  const line = JSON.stringify(entry);
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
        await appendLine(row.outDir, 'manifest.jsonl', line);
        await row.journal.remove(row.data.id);
      }
      return 'done';
    case 'duplicate':
      if (recorded.lined) {
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
      // A completed row's journal goes only after its line is written: a row recorded again (a
      // Redis crash lost the first record) whose journal is gone has its line already.
      if (outcome.status === 'completed' && !(await row.journal.exists(data.id))) {
        const { finished } = await markLined(
          context.redis,
          context.prefix,
          data.run,
          data.id,
          data.contentHash,
        );
        if (finished) await finishRun(row, context);
        return 'done';
      }
      break;
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

/**
 * Appends the recorded outcome's line, trying again every few seconds while the disk refuses
 * (full, read-only): the row keeps its worker slot meanwhile, so a worker whose disk is broken
 * stops taking (and paying for) new rows. A stopping worker hands the row back.
 */
async function appendLineOrHandBack(row: Row, context: RowContext, line: string): Promise<boolean> {
  for (let failures = 0; ; failures += 1) {
    try {
      await appendLine(row.outDir, 'manifest.jsonl', line);
      break;
    } catch (error) {
      if (failures === 0) {
        row.logger.error(
          { event: 'manifest_line_failed', err: (error as Error).message },
          'could not append to manifest.jsonl: the outcome is kept; trying again until the disk takes it',
        );
      }
      await delay(LINE_RETRY_MS, undefined, { signal: row.signal }).catch(() => {
        throw new HandBack('manifest line not written', 0);
      });
    }
  }
  const { finished } = await markLined(
    context.redis,
    context.prefix,
    row.data.run,
    row.data.id,
    row.data.contentHash,
  );
  if (row.progress.saved) await row.journal.remove(row.data.id);
  return finished;
}

async function finishRun(row: Row, context: RowContext): Promise<void> {
  try {
    for (let round = 1; ; round += 1) {
      const written = await writeRunManifests({
        redis: context.redis,
        prefix: context.prefix,
        run: row.data.run,
        outDir: row.outDir,
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
      return;
    }
  } catch (error) {
    row.logger.error(
      { event: 'final_manifest_failed', err: (error as Error).message },
      'run finished but its final manifests could not be written: run `npm run report` once the cause is fixed',
    );
  }
}
