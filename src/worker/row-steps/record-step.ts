import { setTimeout as delay } from 'node:timers/promises';
import { appendLine } from '../../output/run-files.js';
import { markLined, recordRowOutcome } from '../../queue/run-outcomes.js';
import { writeRunManifests } from '../../report/run-manifests.js';
import { HandBack } from '../row-signals.js';
import { manifestEntry, rowOutcome, type OutcomeInput } from './manifest-line.js';
import type { Row, RowContext } from './row-context.js';
import { saveProgress } from './save-progress.js';

/** A recorded outcome whose manifest line is still missing this long after is taken to be orphaned. */
const LINE_ORPHANED_MS = 30_000;
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
      // Redis lost the run: the line on disk is what a re-enqueue adopts the audio from.
      row.logger.warn(
        { event: 'row_forgotten' },
        'Redis no longer knows this row; outcome kept in manifest.jsonl',
      );
      await appendLine(row.outDir, 'manifest.jsonl', line);
      if (outcome.status === 'completed') await row.journal.remove(row.data.id);
      return 'done';
    case 'duplicate':
      if (recorded.lined) break;
      if (context.now() - recorded.recordedAtMs < LINE_ORPHANED_MS) {
        throw new HandBack(
          'outcome recorded by another worker; its manifest line is not written yet',
          LINE_ORPHANED_MS,
        );
      }
      await appendLineOrHandBack(row, context, line);
      break;
    case 'recorded':
      await appendLineOrHandBack(row, context, line);
      break;
  }
  if (outcome.status === 'completed') {
    row.logger.info(
      { event: 'row_completed', requestId: entry.request_id, file: entry.file },
      'row completed',
    );
  }
  if (recorded.finished) await finishRun(row, context);
  return 'done';
}

/**
 * Appends the recorded outcome's line, trying again every few seconds while the disk refuses
 * (full, read-only): the row keeps its worker slot meanwhile, so a worker whose disk is broken
 * stops taking (and paying for) new rows. A stopping worker hands the row back.
 */
async function appendLineOrHandBack(row: Row, context: RowContext, line: string): Promise<void> {
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
  await markLined(context.redis, context.prefix, row.data.run, row.data.id, row.data.contentHash);
  if (row.progress.saved) await row.journal.remove(row.data.id);
}

async function finishRun(row: Row, context: RowContext): Promise<void> {
  try {
    const written = await writeRunManifests({
      redis: context.redis,
      prefix: context.prefix,
      run: row.data.run,
      outDir: row.outDir,
    });
    row.logger.info(
      { event: 'run_finished', outDir: row.outDir, completed: written.completed, failed: written.failed },
      'run finished; manifest written',
    );
  } catch (error) {
    row.logger.error(
      { event: 'final_manifest_failed', err: (error as Error).message },
      'run finished but its final manifests could not be written: run `npm run report` once the cause is fixed',
    );
  }
}
