import type { Job } from 'bullmq';
import type { RowJobData } from '../queue/row-job.js';
import { makeSubmitJournal, type SubmitJournal } from '../output/submit-journal.js';
import type { Logger } from '../log.js';
import {
  emptyProgress,
  makeProgressStore,
  type ProgressStore,
  type RowProgress,
} from '../queue/row-progress.js';
import { readRowOutcomes } from '../queue/run-outcomes.js';
import { runKeys } from '../queue/keys.js';
import { isSafeName, NAME_RULE } from '../script/row-id.js';
import { failRow, handleRowError } from './row-error.js';
import { HandBack, RowSuperseded } from './row-signals.js';
import { awaitStep, fetchStep } from './row-steps/await-step.js';
import { nextStep, type Step } from './row-steps/next-step.js';
import { recordStep } from './row-steps/record-step.js';
import type { Row, RowContext } from './row-steps/row-context.js';
import { beginSubmit, submitStep } from './row-steps/submit-step.js';

type StepRun = (row: Row, context: RowContext, step: Step) => Promise<RowProgress | 'done'>;

/** One function per step; each saves what must survive a crash before its side effect. */
const STEPS: Record<Step['step'], StepRun> = {
  record: (row, context) => {
    const saved = row.progress.saved;
    if (!saved) throw new Error('record step without saved audio');
    return recordStep(row, context, { status: 'completed', saved });
  },
  settle: (row) => row.store.settle(row.data.id, row.progress, '*', 'crash-during-submit'),
  'give-up': (row, context, step) =>
    failRow(row, context, step.step === 'give-up' ? step.reason : 'gave up', 'resubmit'),
  submit: submitStep,
  await: awaitStep,
  fetch: fetchStep,
};

/**
 * Takes one row from wherever its last worker left it to a saved file and a recorded outcome:
 * loads the row's progress, then runs `nextStep(progress)` until the row is done. Throws
 * HandBack (give the row back), RowFailed (outcome recorded) or LetGo (not this worker's).
 */
export async function processRow(
  job: Job<RowJobData>,
  token: string,
  context: RowContext,
  signal: AbortSignal,
): Promise<void> {
  const row = await loadRow(job, token, context, signal);
  if (row === 'done') return;
  for (;;) {
    const step = nextStep(row.progress, context.limits);
    // A stopping worker starts no submit; the row goes back to the front of the queue.
    if (step.step === 'submit' && context.draining.aborted) throw new HandBack('worker stopping', 0);
    try {
      const next = await STEPS[step.step](row, context, step);
      if (next === 'done') return;
      row.progress = next;
    } catch (error) {
      if (error instanceof RowSuperseded) return;
      if (signal.aborted) {
        await row.countCalls(row.unsavedCalls).catch(() => undefined);
        throw new HandBack('worker stopping', 0);
      }
      await handleRowError(row, context, step, error);
    }
  }
}

async function loadRow(
  job: Job<RowJobData>,
  token: string,
  context: RowContext,
  signal: AbortSignal,
): Promise<Row | 'done'> {
  const data = job.data;
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
  // row), or from the output directory's journal (Redis forgot the row while it was in flight).
  const progress =
    stored ??
    (rowId
      ? await fromJournal(journal, store, data.id, data.contentHash, same?.submits ?? 0, logger)
      : emptyProgress(data.contentHash, same?.submits ?? 0));
  const statsKey = runKeys(context.prefix, data.run).stats;
  const row: Row = {
    data,
    lock: { key: `${job.queueQualifiedName}:${job.id}:lock`, token },
    attempt: job.attemptsStarted || job.attemptsMade + 1,
    outDir,
    store,
    journal,
    logger,
    signal,
    progress,
    sendingToken: undefined,
    unsavedCalls: 0,
    countCalls: (calls) => (calls > 0 ? context.redis.hincrby(statsKey, 'calls', calls) : Promise.resolve(0)),
    client: context.makeClient({
      beforeSend: (call) => (call === 'submit' ? beginSubmit(row, context.draining) : Promise.resolve()),
      onCall: () => (row.unsavedCalls += 1),
    }),
  };
  if (!rowId) await failRow(row, context, `\`${data.id}\` is not a row id (${NAME_RULE})`, 'resubmit');
  if (same?.status === 'completed' && !stored?.saved) {
    // Recorded, and its manifest line written (a job added again for a finished row): nothing to pay for.
    logger.info({ event: 'already_recorded' }, 'row already has its outcome; not submitting');
    // Its last worker may have been stopped between noting the line and removing the journal.
    await journal.remove(data.id);
    return 'done';
  }
  return row;
}

/**
 * The progress a row's journal on disk implies: its submits stay counted (with a reason for each
 * one whose answer never came), and its last request is polled again rather than paid for anew.
 */
async function fromJournal(
  journal: SubmitJournal,
  store: ProgressStore,
  id: string,
  contentHash: string,
  recordedSubmits: number,
  logger: Logger,
): Promise<RowProgress> {
  const empty = emptyProgress(contentHash, recordedSubmits);
  const found = await journal.read(id, contentHash);
  if (!found || found.submits <= recordedSubmits) return empty;
  logger.warn(
    { event: 'progress_from_journal', submits: found.submits, requestId: found.last?.requestId },
    'Redis had no progress for this row: resuming from the submit journal in the output directory',
  );
  const unanswered = found.submits - (found.last ? 1 : 0) - recordedSubmits;
  const reasons = Array.from({ length: Math.max(unanswered, 0) }, () => 'crash-during-submit').join(',');
  return store.save(id, {
    ...empty,
    submits: found.submits,
    reasons,
    current: found.last,
    lastRequestId: found.last?.requestId,
  });
}
