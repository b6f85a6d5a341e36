import {
  AmbiguousSubmitError,
  AuthError,
  BadRequestError,
  CreditsError,
  DownloadError,
  InferenceFailedError,
  ModelRetiredError,
  NotFoundError,
  ProtocolError,
  RateLimitedError,
  SegmindError,
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

/** What a failure means: the action to take, a reason for people, and whether the API broke its documented shape. */
export type ErrorClassification = {
  readonly action: ErrorAction;
  /** e.g. `HTTP 422: Content blocked`, `protocol: submit answered 200 without request_id; body starts "…"`. */
  readonly reason: string;
  /**
   * The API answered something that breaks the documented shape (a 200 without `request_id`, `status`
   * or `output`, HTML, truncated JSON, a body over the cap), on its own or as the cause of an
   * ambiguous submit. Several in a row mean the peer is not the API it should be: halt the fleet.
   */
  readonly protocol: boolean;
};

/** The `ProtocolError` behind a failure: the error itself, or the cause of an ambiguous submit. */
function protocolErrorOf(error: SegmindError): ProtocolError | undefined {
  if (error instanceof ProtocolError) return error;
  if (error instanceof AmbiguousSubmitError && error.cause instanceof ProtocolError) return error.cause;
  return undefined;
}

function describe(error: SegmindError): string {
  const protocol = protocolErrorOf(error);
  if (protocol !== undefined) return protocol.message;
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
  return 'retry';
}

/**
 * The one place that decides what a failure means, for the client's in-place retries and for the
 * row and the run. Unknown errors are retried (by the row, not in place).
 */
export function classifyError(error: unknown): ErrorClassification {
  if (error instanceof SegmindError) {
    return { action: decide(error), reason: describe(error), protocol: protocolErrorOf(error) !== undefined };
  }
  if (error instanceof Error)
    return { action: 'retry', reason: `${error.name}: ${error.message}`, protocol: false };
  return { action: 'retry', reason: `non-error thrown: ${String(error)}`, protocol: false };
}
