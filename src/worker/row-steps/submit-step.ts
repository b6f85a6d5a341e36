import { randomUUID } from 'node:crypto';
import type { RowProgress } from '../../queue/row-progress.js';
import { classifyError } from '../../segmind/classify.js';
import { windowState } from '../../queue/run-window.js';
import { HandBack, LetGo, RequestExists } from '../row-signals.js';
import type { Row, RowContext } from './row-context.js';

/**
 * Counts a submit right before its POST may leave (after the fleet's slot is granted), only
 * while this worker holds the row and the run's budget has room for it; a previous attempt the
 * client is retrying surely created nothing and is taken back first. The client's
 * `beforeRequest` hook calls this.
 */
export async function beginSubmit(row: Row, context: SubmitContext): Promise<void> {
  if (row.sendingToken !== undefined) await takeBack(row, context, row.sendingToken);
  // The worker was told to stop while this row waited for its slot: nothing new is paid for.
  if (context.draining.aborted) throw new HandBack('worker stopping: not submitting', 0);
  await holdOutsideWindow(row, context);
  await reserveBudget(row, context);
  const token = randomUUID();
  let began;
  try {
    began = await row.store.begin(row.data.id, row.progress, token, row.lock);
  } catch (error) {
    await context.budgets.refund(row.data.run, submitCost(row, context)).catch(() => undefined);
    throw error;
  }
  if (began.kind !== 'ok') await context.budgets.refund(row.data.run, submitCost(row, context));
  if (began.kind === 'fenced')
    throw new LetGo("the row is no longer this worker's (lock lost): not submitting");
  row.progress = began.progress;
  if (began.kind === 'current') throw new RequestExists(began.progress);
  row.sendingToken = token;
  // On disk too before the POST may leave: a Redis that forgets the row does not forget this. A
  // disk that refuses (full, read-only) stops the submit: nothing is paid that cannot be recorded.
  await row.journal.append(row.data.id, { t: 'send', token, h: row.data.contentHash, at: Date.now() });
}

/** What beginning a submit needs of the worker's context. */
export type SubmitContext = Pick<
  RowContext,
  'draining' | 'budgets' | 'pricesUsd' | 'holdRecheckMs' | 'onBudgetHold' | 'windows' | 'windowClock'
>;

/** A submit's cost as the budget reserves it: the price table's, settled to the API's figure later. */
export function submitCost(row: Row, context: Pick<RowContext, 'pricesUsd'>): number {
  return context.pricesUsd[row.data.request.model];
}

/**
 * Outside the run's daily window no submit starts: the row waits (handed back until the window
 * opens, checking again at least every `holdRecheckMs`, so a window changed meanwhile applies).
 * Requests already paid for are polled and fetched whatever the time.
 */
async function holdOutsideWindow(row: Row, context: SubmitContext): Promise<void> {
  const window = await context.windows.read(row.data.run);
  if (window === undefined) return;
  const now = context.windowClock();
  const state = windowState(window, now);
  if (state.open) return;
  throw new HandBack(
    `outside the run's window ${window.text}: held until it opens`,
    Math.max(Math.min(state.changesAt - now, context.holdRecheckMs), 100),
  );
}

/** Reserves the submit's cost, or holds the row (handed back, not failed) while the budget is reached. */
async function reserveBudget(row: Row, context: SubmitContext): Promise<void> {
  const reserved = await context.budgets.reserve(row.data.run, submitCost(row, context));
  if (reserved.ok) return;
  if (reserved.firstHold) {
    row.logger.warn(
      { event: 'budget_reached', run: row.data.run },
      'run budget reached: rows are held until it is raised',
    );
    await context.onBudgetHold(row.data.run);
  }
  // A spread of delays: held rows come back a few at a time, not all at once.
  throw new HandBack(
    'budget reached: held until the budget is raised',
    context.holdRecheckMs * (1 + Math.random() / 2),
  );
}

/** The POST surely created nothing (or was never sent): not counted, in Redis and then on disk. */
async function takeBack(
  row: Row,
  context: Pick<RowContext, 'budgets' | 'pricesUsd'>,
  token: string,
): Promise<void> {
  row.sendingToken = undefined;
  row.progress = await row.store.cancel(row.data.id, row.progress, token);
  await context.budgets.refund(row.data.run, submitCost(row, context));
  // A disk that refuses the note leaves the journal counting one submit too many: never too few.
  await row.journal
    .append(row.data.id, { t: 'cancel', token, h: row.data.contentHash, at: Date.now() })
    .catch(() => undefined);
}

/**
 * Sends the row's request. Its answer is stored before anything else; a POST that may have
 * created a job stays counted (`ambiguous`), one that surely did not is taken back.
 */
export async function submitStep(row: Row, context: RowContext): Promise<RowProgress> {
  const { text, model, voice_1, voice_2, temperature } = row.data.request;
  let answer;
  try {
    const params = { text, voice_1, temperature, ...(voice_2 ? { voice_2 } : {}) };
    answer = await row.client.submit(model, params, row.signal);
  } catch (error) {
    const token = row.sendingToken;
    row.sendingToken = undefined;
    if (error instanceof RequestExists) return error.progress;
    if (token !== undefined) {
      if (classifyError(error).action === 'ambiguous-submit') {
        row.progress = await row.store.settle(row.data.id, row.progress, token, 'ambiguous');
      } else await takeBack(row, context, token);
    }
    throw error;
  }
  const token = row.sendingToken ?? 'unknown';
  row.sendingToken = undefined;
  const request = {
    requestId: answer.requestId,
    statusUrl: answer.statusUrl,
    responseUrl: answer.responseUrl,
    submittedAt: context.now(),
  };
  await row.journal.append(row.data.id, {
    t: 'answer',
    token,
    h: row.data.contentHash,
    at: Date.now(),
    request,
  });
  row.progress = await row.store.answer(row.data.id, row.progress, token, request);
  await context.protocol.ok();
  row.logger.info({ event: 'submitted', requestId: answer.requestId }, 'row submitted');
  return row.progress;
}
