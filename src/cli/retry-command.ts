import { loadSettings } from '../settings.js';
import { withQueue } from '../queue/queue-session.js';
import { retryFailedRows } from '../status/retry-failed.js';
import { targetRuns } from '../status/run-target.js';
import { defineCommand } from './command-args.js';
import { npmCommand } from './npm-hint.js';

const HELP = `Usage: tts-batch retry [--run NAME]

Sends the failed rows of a run (of every run without --run) back to the queue. Rows that
completed are not touched. The retried rows' failed outcomes are dropped, so the run finishes
again and its manifest is rewritten; the new attempt is counted in the row's \`attempts\`.

Options:
  --run NAME   only this run
  -h, --help   this text
`;

const OPTIONS = { run: { type: 'string' } } as const;

export const runRetryCommand = defineCommand(HELP, { options: OPTIONS }, async (parsed, context) => {
  const settings = loadSettings(context.env);
  return withQueue(settings, async (session) => {
    let total = 0;
    for (const run of await targetRuns(session, parsed.values.run)) {
      const { retried, stale } = await retryFailedRows(session, run);
      total += retried;
      if (retried === 0 && stale === 0 && parsed.values.run === undefined) continue;
      const staleNote = stale > 0 ? ` (${stale} failed job(s) of rows edited since were left alone)` : '';
      context.stdout.write(`${run}: ${retried} failed row(s) back in the queue${staleNote}\n`);
    }
    if (parsed.values.run === undefined) context.stdout.write(`retried ${total} row(s) in all\n`);
    if (total > 0 && (await session.queue.isPaused())) {
      context.stdout.write(`note: the queue is paused; they run after \`${npmCommand('resume')}\`\n`);
    }
    return 0;
  });
});
