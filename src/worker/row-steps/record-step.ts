import { setTimeout as delay } from 'node:timers/promises';
import { fileSize, lineAfter } from '../../output/line-after.js';
import { appendLine, sweepStaleTemps } from '../../output/run-files.js';
import { encodeRowOutcome } from '../../queue/row-outcome-codec.js';
import { decodeManifestLine } from '../../report/manifest-line.js';
import { MANIFEST_LINES_FILE } from '../../report/run-manifests.js';
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

/**
 * Appends the recorded outcome's line, trying again every few seconds while the disk refuses
 * (full, read-only): the row keeps its worker slot meanwhile, so a worker whose disk is broken
 * stops taking (and paying for) new rows. A stopping worker hands the row back.
 */
async function appendLineOrHandBack(
  row: Row,
  context: RowContext,
  line: { text: string; outcome: string },
): Promise<boolean> {
  const { id, contentHash } = row.data;
  for (let failures = 0; ; failures += 1) {
    try {
      // Where the line will land, noted first: whoever records this row again finds it there.
      const at = await fileSize(row.outDir, MANIFEST_LINES_FILE);
      await row.journal.append(id, { t: 'line', h: contentHash, at, o: line.outcome });
      await appendLine(row.outDir, MANIFEST_LINES_FILE, line.text);
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
  const finished = await markLinedOrHandBack(row, context);
  if (row.progress.saved) await row.journal.remove(id);
  return finished;
}

/**
 * Notes in Redis that the row's line is written, trying again while Redis is away (restarting,
 * frozen): the line is on disk, and a row handed back now would be recorded again later. A
 * stopping worker hands it back: the next one finds the line through the journal.
 */
async function markLinedOrHandBack(row: Row, context: RowContext): Promise<boolean> {
  const { run, id, contentHash } = row.data;
  for (let failures = 0; ; failures += 1) {
    try {
      const { finished } = await markLined(context.redis, context.prefix, run, id, contentHash);
      return finished;
    } catch (error) {
      if (failures === 0) {
        row.logger.warn(
          { event: 'mark_lined_failed', err: (error as Error).message },
          'manifest line written; noting it in Redis failed: trying again',
        );
      }
      await delay(LINE_RETRY_MS, undefined, { signal: row.signal }).catch(() => {
        throw new HandBack('manifest line written; not yet noted in Redis', 0);
      });
    }
  }
}

/**
 * Whether this outcome's line is in manifest.jsonl already. A completed row's journal is removed
 * only after its line is written and noted, so a completed row without a journal has its line;
 * otherwise the journal's last `line` mark for this very outcome says where to look.
 */
async function lineWritten(row: Row, status: 'completed' | 'failed', outcome: string): Promise<boolean> {
  const { id, contentHash } = row.data;
  if (status === 'completed' && !(await row.journal.exists(id))) return true;
  const mark = await row.journal.lastLine(id, contentHash);
  if (!mark || mark.o !== outcome) return false;
  return lineAfter(row.outDir, MANIFEST_LINES_FILE, mark.at, (text) => {
    const entry = decodeManifestLine(text);
    return entry?.id === id && entry.content_hash === contentHash && entry.status === status;
  });
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
