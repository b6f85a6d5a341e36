import { runKeys } from '../../queue/keys.js';
import type { RowProgress } from '../../queue/row-progress.js';
import { awaitCompletion, type CompletedResult } from '../await-completion.js';
import { RowSuperseded } from '../row-signals.js';
import type { Row, RowContext } from './row-context.js';
import { saveProgress } from './save-progress.js';
import { submitCost } from './submit-step.js';

/** Polls the awaited request until it completes (or passes the row deadline), then fetches its audio. */
export async function awaitStep(row: Row, context: RowContext): Promise<RowProgress> {
  const request = row.progress.current;
  if (!request) return row.progress;
  const { model, text } = row.data.request;
  const chars = [...text].length;
  const estimate = await context.latency.estimate(model, chars);
  const result = await awaitCompletion({
    client: row.client,
    request,
    estimate,
    schedule: context.schedule,
    modes: context.modes,
    now: context.now,
    signal: row.signal,
    deadlineAt: request.submittedAt + context.rowDeadlineMs,
  });
  const observedMs = (result.metrics.totalTimeS ?? NaN) * 1000;
  await context.latency.observe(
    model,
    chars,
    Number.isFinite(observedMs) ? observedMs : context.now() - request.submittedAt,
  );
  await saveProgress(row, { current: { ...request, completed: true }, transient: 0 });
  return saveResult(row, context, result);
}

/** The request is known complete (a worker stopped after seeing it): fetch the result again. */
export async function fetchStep(row: Row, context: RowContext): Promise<RowProgress> {
  const request = row.progress.current;
  if (!request) return row.progress;
  const answer = await row.client.result(request, row.signal);
  if (answer.state !== 'COMPLETED') return saveProgress(row, { current: { ...request, completed: false } });
  return saveResult(row, context, answer);
}

/**
 * Writes the paid audio to the run directory, unless the row was enqueued again with other
 * content since (the file name is the row's, and the new version owns it). A row Redis no
 * longer knows (restarted empty, flushed) is still saved: it was paid for, and the output
 * directory is the record that a re-enqueue adopts.
 */
async function saveResult(row: Row, context: RowContext, result: CompletedResult): Promise<RowProgress> {
  const { scriptRow } = row;
  const current = await context.redis.hget(runKeys(context.prefix, row.data.run).rows, scriptRow.id);
  if (current !== null && current !== scriptRow.contentHash) {
    row.logger.warn({ event: 'stale_row' }, 'row was enqueued again with other content; result not saved');
    throw new RowSuperseded('the row changed since this version was submitted');
  }
  const request = row.progress.current;
  const audio = await row.client.saveAudio(result.output, row.audioTarget, row.signal);
  // The budget reserved the price table's figure; the API's own, where it reports one, settles it.
  if (result.metrics.cost !== undefined && result.metrics.cost !== null)
    await context.budgets.settle(row.data.run, submitCost(row, context), result.metrics.cost);
  return saveProgress(row, {
    saved: {
      file: audio.file,
      bytes: audio.bytes,
      durationS: audio.durationS,
      sha256: audio.sha256,
      requestId: request?.requestId ?? row.progress.lastRequestId ?? '',
      inferenceTimeS: result.metrics.inferenceTimeS ?? null,
      cost: result.metrics.cost ?? context.pricesUsd[row.data.request.model],
    },
    transient: 0,
  });
}
