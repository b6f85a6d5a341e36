import { classifyError } from '../segmind/classify.js';
import { InferenceFailedError, RateLimitedError } from '../segmind/errors.js';
import type { RowProgress } from '../queue/row-progress.js';
import { HandBack, LetGo, RowDeadlineExceeded, RowFailed } from './row-signals.js';
import type { Step } from './row-steps/next-step.js';
import { recordStep } from './row-steps/record-step.js';
import type { Row, RowContext } from './row-steps/row-context.js';
import { saveProgress } from './row-steps/save-progress.js';

/** Wait before retrying a row after its n-th transient failure in a row: 5 s, 10 s, 20 s ... 5 min. */
export function transientDelayMs(failures: number): number {
  return Math.min(5_000 * 2 ** Math.max(failures - 1, 0), 300_000);
}

/** Records the row as failed and fails its job. `retry` says what `tts-batch retry` will do with it. */
export async function failRow(
  row: Row,
  context: RowContext,
  error: string,
  retry: 'resubmit' | 'resume',
): Promise<never> {
  if (row.partOf) {
    await saveProgress(row, {});
    return row.partOf.fail(error, retry);
  }
  row.logger.warn({ event: 'row_failed', reason: error }, 'row failed');
  await recordStep(row, context, { status: 'failed', error, retry });
  throw new RowFailed(error);
}

/**
 * The one place a step's failure becomes what happens to the row, from `classifyError`'s one
 * decision. Resolves to go on with the next step; throws to leave the row.
 */
export async function handleRowError(
  row: Row,
  context: RowContext,
  step: Step,
  error: unknown,
): Promise<void> {
  if (error instanceof LetGo || error instanceof HandBack || error instanceof RowFailed) throw error;
  if (error instanceof RowDeadlineExceeded) {
    row.logger.warn(
      { event: 'row_deadline', reason: error.message },
      'request past the row deadline: resubmitting',
    );
    await resubmit(row, 'deadline');
    return;
  }
  const { action, reason, protocol } = classifyError(error);
  row.logger.warn({ event: 'row_error', step: step.step, action, reason }, 'row error');
  if (protocol) await context.protocol.strike(reason);
  switch (action) {
    case 'fail-row':
      await failRow(row, context, reason, retryKind(row.progress, error));
      return;
    case 'stop-run':
      await saveProgress(row, {});
      await context.halt(reason);
      throw new HandBack(reason, 5_000);
    case 'resubmit':
      await resubmit(row, 'expired');
      return;
    case 'ambiguous-submit':
      // The submit step counted it and keeps it counted; the next step submits again (or gives up).
      await saveProgress(row, {});
      return;
    case 'backoff-fleet': {
      const waitMs = error instanceof RateLimitedError ? (error.retryAfterMs ?? 5_000) : 5_000;
      await context.budget.backOff(waitMs);
      await saveProgress(row, {});
      throw new HandBack(reason, waitMs);
    }
    case 'retry': {
      const transient = row.progress.transient + 1;
      if (transient > context.maxTransient) {
        await failRow(
          row,
          context,
          `gave up after ${transient} transient failures: ${reason}`,
          retryKind(row.progress, error),
        );
      }
      await saveProgress(row, { transient });
      throw new HandBack(reason, transientDelayMs(transient));
    }
  }
}

async function resubmit(row: Row, why: string): Promise<void> {
  const reasons = row.progress.reasons === '' ? why : `${row.progress.reasons},${why}`;
  await saveProgress(row, { current: undefined, reasons });
}

/** A failed inference needs a new submit; a row that failed with its request alive (a download, polling) resumes it. */
function retryKind(progress: RowProgress, error: unknown): 'resubmit' | 'resume' {
  return progress.current && !(error instanceof InferenceFailedError) ? 'resume' : 'resubmit';
}
