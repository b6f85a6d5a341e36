import { UsageError } from '../errors.js';
import { loadSettings } from '../settings.js';
import { withQueue } from '../queue/queue-session.js';
import { formatQueueState, formatRunDetail, formatRunTable } from '../status/render.js';
import { readProgress, readQueueState } from '../status/run-progress.js';
import { targetRuns } from '../status/run-target.js';
import { watchRun } from '../status/watch.js';
import { watchRunTable } from '../status/watch-table.js';
import { defineCommand } from './command-args.js';

const HELP = `Usage: tts-batch status [--run NAME] [--watch] [--json]
       npm run status -- [--run NAME] [--watch] [--json]

Per-run progress: rows done / failed / in flight / waiting / scheduled, audio minutes made,
API calls and cost spent, rate of completed rows and ETA, failures grouped by reason. Without
--run, one line per run. Also says when the queue is paused, and why if the API refused the
account (HALTED). An unknown --run is bad input (exit 2).

Options:
  --run NAME   one run in detail
  --watch      redraw until the run finishes (Ctrl-C to stop watching; the run goes on); shows
               PAUSED / HALTED while the queue holds, and no ETA countdown then
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
  const settings = loadSettings(context.env);
  return withQueue(settings, async (session) => {
    const { queue, redis, prefix } = session;
    const run = values.run === undefined ? undefined : (await targetRuns(session, values.run))[0];
    const runs = run === undefined ? {} : { runs: [run] };
    const readQueue = () => readQueueState(queue, redis, prefix);
    const out = context.stdout;
    if (values.json) {
      const [state, progress] = await Promise.all([
        readQueue(),
        readProgress({ ...session, withFailures: true, ...runs }),
      ]);
      out.write(`${JSON.stringify({ queue: state, runs: progress }, null, 2)}\n`);
      return 0;
    }
    if (values.watch && run === undefined) {
      const read = () => readProgress(session);
      await watchRunTable({ read, readQueue, out, signal: context.signal });
      return 0;
    }
    if (values.watch && run !== undefined) {
      const read = async () => (await readProgress({ ...session, runs: [run] }))[0];
      await watchRun({ read, readQueue, out, signal: context.signal });
      // Then the detail below, with the failures by reason.
    }
    const [state, progress] = await Promise.all([
      readQueue(),
      readProgress({ ...session, withFailures: run !== undefined, ...runs }),
    ]);
    out.write(formatQueueState(state));
    const one = progress[0];
    out.write(run === undefined || !one ? formatRunTable(progress, state) : formatRunDetail(one, state));
    return 0;
  });
});
