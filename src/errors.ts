/**
 * The base of every error this project throws on purpose. Subclasses set a literal `name`,
 * keep the native `cause`, and carry their data as fields, never only inside the message.
 */
export class TtsBatchError extends Error {
  override name: string = 'TtsBatchError';
}

/** Bad input or usage: the CLI exits with status 2 and has changed nothing. */
export class UsageError extends TtsBatchError {
  override name = 'UsageError' as const;
}

/** A setting (environment variable or `.env`) has a value that cannot be used. */
export class ConfigError extends TtsBatchError {
  override name = 'ConfigError' as const;
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** Exit status for an error: 2 for bad input or usage (nothing changed), 1 for anything else. */
export function exitCodeFor(error: unknown): 1 | 2 {
  return error instanceof UsageError || error instanceof ConfigError ? 2 : 1;
}
