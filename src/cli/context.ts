import type { Writable } from 'node:stream';

/** What a command may touch of its process: injected so that tests can run commands in-process. */
export type CliContext = {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Fires when the user asks the command to stop (SIGINT/SIGTERM in the real CLI). */
  readonly signal: AbortSignal;
};

/** A subcommand: resolves to the exit status (0 ok, 2 bad input or usage, 1 other failure). */
export type Command = (argv: readonly string[], context: CliContext) => Promise<number>;
