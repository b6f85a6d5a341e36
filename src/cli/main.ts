import { exitCodeFor } from '../errors.js';
import { loadDotEnv } from '../settings.js';
import { ignoreClosedPipe } from './closed-pipe.js';
import type { CliContext, Command } from './context.js';

const HELP = `tts-batch: narration scripts to audio in bulk, through Segmind's async v2 API

Usage: tts-batch <command> [options]   (every command has --help)

Commands:
  enqueue <file>   validate a CSV/JSONL script and add one job per row
  import <book>    turn an EPUB, Markdown or text book into a script
  worker           process rows until stopped
  status           per-run progress
  retry            send a run's failed rows back to the queue
  budget           set a run's budget (USD); rows it held go on
  retake           a new, counted take of one finished row
  report           (re)write a run's manifest.json and manifest.csv
  pause, resume    stop / restart all workers taking new rows
  dashboard        web dashboard and Prometheus metrics
  simulator        the local Segmind v2 simulator
  demo [--book]    the whole job on embedded defaults (--book: a short book to an m4b)

Settings are read from the environment and from .env (see README).
`;

/** Each command lives in its own module, loaded only when asked for. */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  simulator: async () => (await import('./simulator-command.js')).runSimulatorCommand,
  enqueue: async () => (await import('./enqueue-command.js')).runEnqueueCommand,
  import: async () => (await import('./import-command.js')).runImportCommand,
  worker: async () => (await import('./worker-command.js')).runWorkerCommand,
  pause: async () => (await import('./pause-command.js')).runPauseCommand,
  resume: async () => (await import('./pause-command.js')).runResumeCommand,
  status: async () => (await import('./status-command.js')).runStatusCommand,
  retry: async () => (await import('./retry-command.js')).runRetryCommand,
  budget: async () => (await import('./budget-command.js')).runBudgetCommand,
  retake: async () => (await import('./retake-command.js')).runRetakeCommand,
  report: async () => (await import('./report-command.js')).runReportCommand,
  dashboard: async () => (await import('./dashboard-command.js')).runDashboardCommand,
  demo: async () => (await import('./demo-command.js')).runDemoCommand,
};

/** Runs one command line; resolves to the exit status. */
export async function main(argv: readonly string[], context: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    context.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    context.stderr.write(`tts-batch: unknown command \`${name}\`\n\n${HELP}`);
    return 2;
  }
  try {
    return await (
      await load()
    )(rest, context);
  } catch (error) {
    context.stderr.write(`tts-batch ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return exitCodeFor(error);
  }
}

/** The process entry point (bin/tts-batch.js): wires signals, `.env` and the exit status. */
export async function runCli(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  loadDotEnv();
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write(`tts-batch: second ${signal}, exiting now\n`);
      process.exit(130);
    }
    controller.abort(new Error(`received ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  ignoreClosedPipe([process.stdout, process.stderr]);
  process.exitCode = await main(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  });
  // The command is done. A handle left behind (a client still reconnecting to a Redis that went
  // away, a POST that outlived a worker's grace period) must not keep the process alive: the
  // timer does not hold the process itself, it only ends one that something else holds.
  setTimeout(() => process.exit(), FORCED_EXIT_MS).unref();
}

/** How long a finished command waits for its handles to close by themselves before it exits. */
const FORCED_EXIT_MS = 500;
