import {
  AmbiguousSubmitError,
  AuthError,
  BadRequestError,
  CreditsError,
  DownloadError,
  InferenceFailedError,
  ModelRetiredError,
  NetworkError,
  NotFoundError,
  ProtocolError,
  RateLimitedError,
  RequestTimeoutError,
  SegmindError,
  ServerError,
} from './errors.js';

/**
 * What to do about a failure:
 * - `retry`: try the same step again later (a GET again; a submit again only when it surely created nothing);
 * - `backoff-fleet`: rate limited: every worker waits, then retries;
 * - `stop-run`: no row can succeed (key, account, credits, model retired);
 * - `fail-row`: this row cannot succeed; do not retry;
 * - `resubmit`: the request is gone (expired or unknown id): submit again (a second charge, recorded);
 * - `ambiguous-submit`: a submit may have created (and billed) a job whose id is unknown.
 */
export type ErrorAction =
  'retry' | 'backoff-fleet' | 'stop-run' | 'fail-row' | 'resubmit' | 'ambiguous-submit';

function describe(error: SegmindError): string {
  const head = error.status === undefined ? error.name : `HTTP ${error.status}`;
  const detail = error.serverMessage ?? (error.status === undefined ? error.message : undefined);
  return detail === undefined ? head : `${head}: ${detail}`;
}

function decide(error: SegmindError): ErrorAction {
  if (error instanceof AmbiguousSubmitError) return 'ambiguous-submit';
  if (error instanceof BadRequestError || error instanceof InferenceFailedError) return 'fail-row';
  if (error instanceof AuthError || error instanceof CreditsError || error instanceof ModelRetiredError) {
    return 'stop-run';
  }
  if (error instanceof NotFoundError) return error.phase === 'submit' ? 'fail-row' : 'resubmit';
  if (error instanceof RateLimitedError) return 'backoff-fleet';
  if (error instanceof DownloadError) return error.transient ? 'retry' : 'fail-row';
  if (error instanceof ProtocolError) return error.call === 'submit' ? 'ambiguous-submit' : 'retry';
  if (error instanceof ServerError || error instanceof NetworkError || error instanceof RequestTimeoutError) {
    return 'retry';
  }
  return 'retry';
}

/** The one place that decides what a failure means for the row and the run. Unknown errors are retried. */
export function classifyError(error: unknown): { action: ErrorAction; reason: string } {
  if (error instanceof SegmindError) return { action: decide(error), reason: describe(error) };
  if (error instanceof Error) return { action: 'retry', reason: `${error.name}: ${error.message}` };
  return { action: 'retry', reason: `non-error thrown: ${String(error)}` };
}
