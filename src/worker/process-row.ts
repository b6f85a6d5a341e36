import type { Job } from 'bullmq';
import type { RowJobData } from '../queue/row-job.js';
import { makeSubmitJournal } from '../output/submit-journal.js';
import { makeProgressStore, type RowProgress } from '../queue/row-progress.js';
import { rowParts } from '../queue/row-parts.js';
import { withRowOverride } from '../queue/row-overrides.js';
import { readRowOutcomes } from '../queue/run-outcomes.js';
import { isSafeName, NAME_RULE } from '../script/row-id.js';
import { failRow } from './row-error.js';
import { loadRowProgress } from './row-journal.js';
import { makeRow, type RowJob } from './make-row.js';
import { cleanUpParts, processParts } from './row-parts/process-parts.js';
import { runSteps } from './row-steps/run-steps.js';
import type { Row, RowContext } from './row-steps/row-context.js';

/**
 * Takes one row from wherever its last worker left it to a saved file and a recorded outcome:
 * loads the row's progress, then runs `nextStep(progress)` until the row is done (a row sent in
 * parts: each part until its audio is saved, then the joined file). Throws HandBack (give the row
 * back), RowFailed (outcome recorded) or LetGo (not this worker's).
 */
export async function processRow(
  job: Job<RowJobData>,
  token: string,
  context: RowContext,
  signal: AbortSignal,
): Promise<void> {
  const row = await loadRow(job, token, context, signal);
  if (row === 'done') return;
  const parts = rowParts(row.data);
  if (parts) {
    await processParts(row, parts, context);
    return;
  }
  await runSteps(row, context, 'recorded');
}

async function loadRow(
  job: Job<RowJobData>,
  token: string,
  context: RowContext,
  signal: AbortSignal,
): Promise<Row | 'done'> {
  const data = await withRowOverride(context.redis, context.prefix, job.data);
  const logger = context.logger.child({ run: data.run, row: data.id, job: job.id });
  const store = makeProgressStore(context.redis, context.prefix, data.run);
  const [outDir, stored, [outcome]] = await Promise.all([
    context.runDir(data.run),
    store.load(data.id, data.contentHash),
    readRowOutcomes(context.redis, context.prefix, data.run, [data.id]),
  ]);
  const same = outcome?.contentHash === data.contentHash ? outcome : undefined;
  const journal = makeSubmitJournal(outDir);
  // A job enqueue did not make (planted in Redis) may carry any id: no file is named after it.
  const rowId = isSafeName(data.id);
  // A version Redis has no progress for starts from the submits its outcome recorded (a retried
  // row), or from the output directory's journal (Redis forgot the row while it was in flight);
  // one whose journal counts more submits than Redis does, from the journal's count.
  // A row sent in parts keeps its submits in its parts: its own progress is only their sum.
  const recorded = same?.submits ?? 0;
  const progress: RowProgress = await loadRowProgress(
    { journal, store, logger },
    data.id,
    data.contentHash,
    stored,
    recorded,
    rowId && rowParts(data) === undefined,
  );
  const rowJob: RowJob = {
    lock: { key: `${job.queueQualifiedName}:${job.id}:lock`, token },
    attempt: job.attemptsStarted || job.attemptsMade + 1,
  };
  const row = makeRow(context, {
    data,
    job: rowJob,
    outDir,
    store,
    journal,
    logger,
    signal,
    progress,
    scriptRow: { id: data.id, contentHash: data.contentHash },
    audioTarget: { dir: outDir, name: data.id },
  });
  if (!rowId) await failRow(row, context, `\`${data.id}\` is not a row id (${NAME_RULE})`, 'resubmit');
  if (same?.status === 'completed' && !progress.saved) {
    // Recorded, and its manifest line written (a job added again for a finished row): nothing to pay for.
    logger.info({ event: 'already_recorded' }, 'row already has its outcome; not submitting');
    // Its last worker may have been stopped between noting the line and removing the journal.
    await journal.remove(data.id);
    const parts = rowParts(data);
    if (parts) await cleanUpParts(row, parts);
    return 'done';
  }
  return row;
}
