import type { RowProgress } from '../../queue/row-progress.js';
import { failRow, handleRowError } from '../row-error.js';
import { HandBack, RowSuperseded } from '../row-signals.js';
import { awaitStep, fetchStep } from './await-step.js';
import { checkStep, setAsideStep } from './check-step.js';
import { nextStep, type Step } from './next-step.js';
import { recordStep } from './record-step.js';
import type { Row, RowContext } from './row-context.js';
import { submitStep } from './submit-step.js';

type StepRun = (row: Row, context: RowContext, step: Step) => Promise<RowProgress | 'done'>;

/** One function per step; each saves what must survive a crash before its side effect. */
const STEPS: Record<Step['step'], StepRun> = {
  record: (row, context) => {
    const saved = row.progress.saved;
    if (!saved) throw new Error('record step without saved audio');
    return recordStep(row, context, { status: 'completed', saved });
  },
  check: checkStep,
  'set-aside': setAsideStep,
  settle: (row) => row.store.settle(row.data.id, row.progress, '*', 'crash-during-submit'),
  'give-up': (row, context, step) =>
    failRow(row, context, step.step === 'give-up' ? step.reason : 'gave up', 'resubmit'),
  submit: submitStep,
  await: awaitStep,
  fetch: fetchStep,
};

/**
 * Runs `nextStep(progress)` until the row is recorded (`recorded`), or until its audio is saved
 * (`saved`: a part, joined by its whole row). Resolves `superseded` when a newer version of the
 * script row took over. Throws HandBack, RowFailed or LetGo as processRow does.
 */
export async function runSteps(
  row: Row,
  context: RowContext,
  until: 'recorded' | 'saved',
): Promise<'done' | 'saved' | 'superseded'> {
  for (;;) {
    const step = nextStep(row.progress, context.limits);
    if (step.step === 'record' && until === 'saved') return 'saved';
    // A stopping worker starts no submit; the row goes back to the front of the queue.
    if (step.step === 'submit' && context.draining.aborted) throw new HandBack('worker stopping', 0);
    try {
      const next = await STEPS[step.step](row, context, step);
      if (next === 'done') return 'done';
      row.progress = next;
    } catch (error) {
      if (error instanceof RowSuperseded) return 'superseded';
      if (row.signal.aborted) {
        await row.countCalls(row.unsavedCalls).catch(() => undefined);
        throw new HandBack('worker stopping', 0);
      }
      await handleRowError(row, context, step, error);
    }
  }
}
