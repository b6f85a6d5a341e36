import { setTimeout as delay } from 'node:timers/promises';
import { UsageError } from '../errors.js';
import { checkRunName } from '../enqueue/run-name.js';
import { loadSettings } from '../settings.js';
import { withQueue } from '../queue/queue-session.js';
import { formatQueueState, formatRunDetail, formatRunTable } from '../status/render.js';
import { readProgress, readQueueState } from '../status/run-progress.js';
import { watchRun } from '../status/watch.js';
import { defineCommand } from './command-args.js';

const HELP = `Usage: tts-batch status [--run NAME] [--watch] [--json]

Per-run progress: rows done / failed / in flight / waiting / scheduled, audio minutes made,
API calls and cost spent, rate and ETA, failures grouped by reason. Without --run, one line
per run. Also says when the queue is paused, and why if the API refused the account.

Options:
  --run NAME   one run in detail
  --watch      redraw until the run finishes (Ctrl-C to stop watching; the run goes on)
  --json       machine-readable: {"queue": {...}, "runs": [...]}
  -h, --help   this text
`;

const OPTIONS = {
  run: { type: 'string' },
  watch: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export const runStatusCommand = defineCommand(HELP, { options: OPTIONS }, async ({ values }, context) => {
  if (values.watch && values.json) throw new UsageError('`--watch` and `--json` do not go together');
  const run = values.run === undefined ? undefined : checkRunName(values.run);
  const settings = loadSettings(context.env);
  return withQueue(settings, async ({ queue, redis, prefix }) => {
    const runs = run === undefined ? undefined : [run];
    const state = await readQueueState(queue, redis, prefix);
    if (values.json) {
      const progress = await readProgress({
        queue,
        redis,
        prefix,
        withFailures: true,
        ...(runs ? { runs } : {}),
      });
      context.stdout.write(`${JSON.stringify({ queue: state, runs: progress }, null, 2)}\n`);
      return run !== undefined && progress.length === 0 ? 1 : 0;
    }
    context.stdout.write(formatQueueState(state));
    if (values.watch && run !== undefined) {
      const read = async () => (await readProgress({ queue, redis, prefix, runs: [run] }))[0];
      if ((await read()) === undefined) {
        context.stderr.write(`no run named \`${run}\` (see \`tts-batch status\` for the list)\n`);
        return 1;
      }
      await watchRun({ out: context.stdout, signal: context.signal, read });
      // Then the detail below, with the failures by reason.
    } else if (values.watch) {
      // All runs: the table, redrawn until every run is finished or the user stops watching.
      while (!context.signal.aborted) {
        const progress = await readProgress({ queue, redis, prefix });
        if (context.stdout.isTTY) context.stdout.write('\x1b[H\x1b[2J');
        context.stdout.write(formatRunTable(progress));
        if (progress.every((p) => p.finished)) break;
        await delay(2000, undefined, { signal: context.signal }).catch(() => undefined);
      }
      return 0;
    }
    const progress = await readProgress({
      queue,
      redis,
      prefix,
      withFailures: run !== undefined,
      ...(runs ? { runs } : {}),
    });
    if (run === undefined) {
      context.stdout.write(formatRunTable(progress));
      return 0;
    }
    const one = progress[0];
    if (!one) {
      context.stderr.write(`no run named \`${run}\` (see \`tts-batch status\` for the list)\n`);
      return 1;
    }
    context.stdout.write(formatRunDetail(one));
    return 0;
  });
});
