import { reasonList, type RowProgress } from '../../queue/row-progress.js';

/** How many submissions of each kind a row may spend before it fails (per attempt: `retry` resets). */
export type SubmitLimits = {
  /** Submissions whose outcome was unknown (a reset after sending, a crash mid-POST). */
  readonly maxAmbiguous: number;
  /** Resubmissions after the API forgot the request (404 after it expired). */
  readonly maxExpired: number;
  /** Resubmissions after a request passed the row deadline without a result. */
  readonly maxDeadline: number;
};

export const DEFAULT_SUBMIT_LIMITS = {
  maxAmbiguous: 2,
  maxExpired: 3,
  maxDeadline: 1,
} as const satisfies SubmitLimits;

/**
 * What a row does next, from its saved progress alone:
 * - `record`: the audio is saved and checked: record the outcome and the manifest line;
 * - `set-aside`: a new take was asked for (`tts-batch retake`): the saved one is kept aside first;
 * - `check`: the audio is saved: check it (a take that fails is redone, within `TTS_QA_RETAKES`);
 * - `settle`: a POST counted for this row has no stored answer and its sender no longer holds
 *   the row (killed, or lost its lock): it may have been billed, so it stays counted;
 * - `give-up`: the row spent its submissions for this attempt; it fails with `reason`;
 * - `submit`: no request is awaited: send one (a counted submission);
 * - `await`: poll the request until it is done, then fetch its audio;
 * - `fetch`: the request is known complete: fetch the result and save the audio.
 */
export type Step =
  | { readonly step: 'record' }
  | { readonly step: 'check' }
  | { readonly step: 'set-aside' }
  | { readonly step: 'settle' }
  | { readonly step: 'give-up'; readonly reason: string }
  | { readonly step: 'submit' }
  | { readonly step: 'await' }
  | { readonly step: 'fetch' };

const AMBIGUOUS = new Set(['ambiguous', 'crash-during-submit', 'uncounted']);

export function nextStep(progress: RowProgress, limits: SubmitLimits): Step {
  if (progress.saved) {
    if (progress.takeAgain) return { step: 'set-aside' };
    return progress.saved.qa ? { step: 'record' } : { step: 'check' };
  }
  const current = progress.current;
  if (current) return current.completed === true ? { step: 'fetch' } : { step: 'await' };
  if (progress.sending !== '') return { step: 'settle' };
  const since = reasonList(progress).slice(progress.retryBase);
  const count = (match: (reason: string) => boolean) => since.filter(match).length;
  const ambiguous = count((reason) => AMBIGUOUS.has(reason));
  if (ambiguous > limits.maxAmbiguous) {
    return { step: 'give-up', reason: `gave up after ${ambiguous} submissions with unknown outcome` };
  }
  const expired = count((reason) => reason === 'expired');
  if (expired > limits.maxExpired) {
    return { step: 'give-up', reason: `gave up: the result expired before it was fetched ${expired} times` };
  }
  const late = count((reason) => reason === 'deadline');
  if (late > limits.maxDeadline) {
    return {
      step: 'give-up',
      reason: `gave up: no result within the row deadline after ${progress.submits} submissions`,
    };
  }
  return { step: 'submit' };
}
