import { TtsBatchError } from '../errors.js';
import type { RowProgress } from '../queue/row-progress.js';

/** The row cannot be made; its failed outcome is already recorded. Fails the job at once. */
export class RowFailed extends TtsBatchError {
  override name = 'RowFailed' as const;
}

/** Give the row back to the queue as it stands (shutdown, a paused run, a transient failure), after `delayMs`. */
export class HandBack extends TtsBatchError {
  override name = 'HandBack' as const;
  constructor(
    reason: string,
    readonly delayMs: number,
  ) {
    super(reason);
  }
}

/**
 * This worker no longer holds the row (its lock was taken over, or Redis forgot the job): leave
 * the job to whoever holds it now, touching nothing.
 */
export class LetGo extends TtsBatchError {
  override name = 'LetGo' as const;
}

/** Another worker submitted this row while this one waited: await that request instead. */
export class RequestExists extends TtsBatchError {
  override name = 'RequestExists' as const;
  constructor(readonly progress: RowProgress) {
    super('the row already has a request');
  }
}

/** The request passed the row deadline without a result. */
export class RowDeadlineExceeded extends TtsBatchError {
  override name = 'RowDeadlineExceeded' as const;
}

/** The row was enqueued again with other content since this version started: this job is done. */
export class RowSuperseded extends TtsBatchError {
  override name = 'RowSuperseded' as const;
}
