import { main } from '../../src/cli/main.js';
import { collector } from '../fixtures/scripts/enqueue-harness.js';

/** What one in-process `tts-batch ...` printed and returned. */
export type CliOutcome = { readonly code: number; readonly stdout: string; readonly stderr: string };

/**
 * Runs `tts-batch <args>` in this process with `env` only (no ambient settings), in `cwd`.
 * `signal` is the command's stop signal (an aborted one makes sure nothing long runs).
 */
export async function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  cwd = process.cwd(),
  signal = new AbortController().signal,
): Promise<CliOutcome> {
  return startCli(args, env, cwd, signal).done;
}

/** `runCli`, whose output can be read while the command runs. */
export function startCli(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  cwd = process.cwd(),
  signal = new AbortController().signal,
): { readonly done: Promise<CliOutcome>; readonly stderr: () => string } {
  const stdout = collector();
  const stderr = collector();
  const done = main([...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env,
    cwd,
    signal,
  }).then((code) => ({ code, stdout: stdout.text(), stderr: stderr.text() }));
  return { done, stderr: stderr.text };
}
