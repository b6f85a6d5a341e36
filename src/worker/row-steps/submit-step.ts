import { randomUUID } from 'node:crypto';
import type { RowProgress } from '../../queue/row-progress.js';
import { classifyError } from '../../segmind/classify.js';
import { HandBack, LetGo, RequestExists } from '../row-signals.js';
import type { Row, RowContext } from './row-context.js';

/**
 * Counts a submit right before its POST may leave (after the fleet's slot is granted), only
 * while this worker holds the row; a previous attempt the client is retrying surely created
 * nothing and is taken back first. The client's `beforeRequest` hook calls this.
 */
export async function beginSubmit(row: Row, draining: AbortSignal): Promise<void> {
  if (row.sendingToken !== undefined) await takeBack(row, row.sendingToken);
  // The worker was told to stop while this row waited for its slot: nothing new is paid for.
  if (draining.aborted) throw new HandBack('worker stopping: not submitting', 0);
  const token = randomUUID();
  const began = await row.store.begin(row.data.id, row.progress, token, row.lock);
  if (began.kind === 'fenced')
    throw new LetGo("the row is no longer this worker's (lock lost): not submitting");
  row.progress = began.progress;
  if (began.kind === 'current') throw new RequestExists(began.progress);
  row.sendingToken = token;
  // On disk too before the POST may leave: a Redis that forgets the row does not forget this. A
  // disk that refuses (full, read-only) stops the submit: nothing is paid that cannot be recorded.
  await row.journal.append(row.data.id, { t: 'send', token, h: row.data.contentHash, at: Date.now() });
}

/** The POST surely created nothing (or was never sent): not counted, in Redis and then on disk. */
async function takeBack(row: Row, token: string): Promise<void> {
  row.sendingToken = undefined;
  row.progress = await row.store.cancel(row.data.id, row.progress, token);
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
      } else await takeBack(row, token);
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
