import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runKeys } from '../queue/keys.js';
import { writeRunReport, type RunReport } from '../report/report-html-write.js';
import { loadSettings } from '../settings.js';
import { withQueue, type QueueSession } from '../queue/queue-session.js';
import { HINT } from '../hints.js';
import { targetRuns } from '../status/run-target.js';
import { defineCommand } from './command-args.js';
import { ENQUEUE_HEAP_GROWING_PERCENT } from './heap-growth.js';

const HELP = `Usage: tts-batch report [--run NAME]
       npm run report -- [--run NAME]

(Re)writes manifest.json and manifest.csv of a run (of every run without --run) in its output
directory: one entry per finished row, in script order, from the run's manifest.jsonl and the
outcomes recorded in Redis; and report.html, the morning report: one self-contained page with
rows done and failed, failures by reason, cost by model, audio minutes, API calls per row and
the rows finished over time. Rows still pending are not in the manifest (an entry is \`completed\`
or \`failed\`); they are counted and listed, and the last worker rewrites the manifest when they
finish. A completed row whose audio file is gone is written as failed and listed: enqueue the
script again to remake it.

Options:
  --run NAME   only this run
  -h, --help   this text
`;

const SHOWN = 20;

function list(label: string, items: readonly string[]): string {
  const more = items.length > SHOWN ? `, ... (${items.length - SHOWN} more)` : '';
  return `  ${label}: ${items.slice(0, SHOWN).join(', ')}${more}\n`;
}

async function reportRun(session: QueueSession, run: string, outRoot: string) {
  const dirFromMeta = await session.redis.hget(runKeys(session.prefix, run).meta, 'outDir');
  const outDir = dirFromMeta || join(outRoot, run);
  const manifests = await writeRunReport({
    redis: session.redis,
    prefix: session.prefix,
    run,
    outDir,
    nowMs: Date.now(),
  });
  return { outDir, ...manifests };
}

function describe(run: string, report: RunReport & { readonly outDir: string }): string {
  const missing = report.missingFiles.length;
  let text =
    `${run}: wrote ${join(report.outDir, 'manifest.json')}, manifest.csv and report.html: ` +
    `${report.completed} completed, ${report.failed} failed` +
    (missing > 0 ? ` (${missing} of them: audio file missing)` : '') +
    `, ${report.pending.length + report.unlined.length} pending\n`;
  if (report.pending.length > 0) text += list('pending (not in the manifest yet)', report.pending);
  if (report.unlined.length > 0)
    text += list('finished, manifest.jsonl line not written yet', report.unlined);
  if (missing > 0) {
    text += list('audio files missing (enqueue the script again to remake them)', report.missingFiles);
  }
  return text;
}

const OPTIONS = { run: { type: 'string' } } as const;

export const runReportCommand = defineCommand(HELP, { options: OPTIONS }, async (parsed, context) => {
  const settings = loadSettings(context.env);
  // As for enqueue (heap-growth.ts): writing the manifests allocates fast and keeps little; with
  // V8's own growth factor a 200,000-row run peaked at ~290 MB of RSS, capped at 2x ~215 MB.
  setFlagsFromString(`--heap-growing-percent=${ENQUEUE_HEAP_GROWING_PERCENT}`);
  return withQueue(settings, async (session) => {
    const runs = await targetRuns(session, parsed.values.run);
    if (runs.length === 0) context.stdout.write(`no runs yet: add one with \`${HINT.enqueue}\`\n`);
    for (const run of runs) {
      context.stdout.write(describe(run, await reportRun(session, run, settings.outDir)));
    }
    return 0;
  });
});
