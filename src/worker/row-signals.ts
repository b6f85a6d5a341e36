import { TtsBatchError } from '../errors.js';

/** The row cannot be made; its failed outcome is already recorded. Fails the job at once. */
export class RowFailed extends TtsBatchError {
  override name = 'RowFailed' as const;
}

/** Give the row back to the queue as it stands (shutdown, a paused run), after `delayMs`. */
export class HandBack extends TtsBatchError {
  override name = 'HandBack' as const;
  constructor(
    reason: string,
    readonly delayMs: number,
  ) {
    super(reason);
  }
}
