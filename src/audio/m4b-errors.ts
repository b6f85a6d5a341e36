import { TtsBatchError } from '../errors.js';

/** An input or output of the m4b writer that is not what it must be (a file named, the fault said). */
export class M4bInputError extends TtsBatchError {
  override name = 'M4bInputError' as const;
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/**
 * The written m4b, read back, does not match what was computed: a chapter mark more than the
 * tolerance off, a missing chapter or tag, or a duration other than the sum of the parts.
 */
export class M4bCheckFailed extends TtsBatchError {
  override name = 'M4bCheckFailed' as const;
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file} read back does not match: ${problems.join('; ')}`);
  }
}
