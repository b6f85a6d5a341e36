import { join } from 'node:path';
import { writeFinalManifests } from '../output/final-manifest.js';
import { runKeys } from '../queue/keys.js';
import { readOutcomes } from '../queue/run-outcomes.js';
import { loadSettings } from '../settings.js';
import { withQueue, type QueueSession } from '../queue/queue-session.js';
import { targetRuns } from '../status/run-target.js';
import { defineCommand } from './command-args.js';

const HELP = `Usage: tts-batch report [--run NAME]

(Re)writes manifest.json and manifest.csv of a run (of every run without --run) in its output
directory, from the outcomes recorded in Redis: one entry per finished row, in script order.
Rows still pending are not in the manifest (an entry is \`completed\` or \`failed\`); they are
counted and listed in the message, and the last worker rewrites the manifest when they finish.

Options:
  --run NAME   only this run
  -h, --help   this text
`;

type RunReport = {
  readonly dir: string;
  readonly completed: number;
  readonly failed: number;
  readonly pending: readonly string[];
};

async function reportRun(session: QueueSession, run: string, outRoot: string): Promise<RunReport> {
  const keys = runKeys(session.prefix, run);
  const [dirFromMeta, rows, outcomes] = await Promise.all([
    session.redis.hget(keys.meta, 'outDir'),
    session.redis.hgetall(keys.rows),
    readOutcomes(session.redis, session.prefix, run),
  ]);
  // Only outcomes of the rows as last enqueued: a row edited since has no outcome yet.
  const current = outcomes.filter((entry) => rows[entry.id] === entry.content_hash);
  const finished = new Set(current.map((entry) => entry.id));
  const pending = Object.keys(rows).filter((id) => !finished.has(id));
  const dir = dirFromMeta || join(outRoot, run);
  await writeFinalManifests(dir, current);
  return {
    dir,
    completed: current.filter((entry) => entry.status === 'completed').length,
    failed: current.filter((entry) => entry.status === 'failed').length,
    pending,
  };
}

const OPTIONS = { run: { type: 'string' } } as const;

export const runReportCommand = defineCommand(HELP, { options: OPTIONS }, async (parsed, context) => {
  const settings = loadSettings(context.env);
  return withQueue(settings, async (session) => {
    const runs = await targetRuns(session, parsed.values.run);
    if (runs.length === 0) context.stdout.write('no runs yet: add one with `tts-batch enqueue <file>`\n');
    for (const run of runs) {
      const report = await reportRun(session, run, settings.outDir);
      context.stdout.write(
        `${run}: wrote ${join(report.dir, 'manifest.json')} and manifest.csv: ` +
          `${report.completed} completed, ${report.failed} failed, ${report.pending.length} pending\n`,
      );
      if (report.pending.length > 0) {
        const shown = report.pending.slice(0, 20).join(', ');
        const more = report.pending.length > 20 ? `, ... (${report.pending.length - 20} more)` : '';
        context.stdout.write(`  pending (not in the manifest yet): ${shown}${more}\n`);
      }
    }
    return 0;
  });
});
