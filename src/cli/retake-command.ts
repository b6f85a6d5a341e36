import { UsageError } from '../errors.js';
import { withQueue } from '../queue/queue-session.js';
import { loadSettings } from '../settings.js';
import { retakeRow, type RetakeAsked } from '../status/retake-row.js';
import { targetRuns } from '../status/run-target.js';
import { defineCommand } from './command-args.js';

const HELP = `Usage: tts-batch retake --run NAME --id ROW [--voice V] [--temperature T]
       (npm run retake -- --run NAME --id ROW [--voice V] [--temperature T])

Asks for a new take of a finished row: a counted submit (reason \`retake\`). The old take is kept
aside until the new one is checked: the better of the two stays the row's audio (the new one when
both pass), and the run's manifests are written again when the row is recorded.

With --voice or --temperature the row is made again with that voice_1 or temperature: the new
take replaces the old one (kept even when it fails its checks; it then gets the automatic QA
re-takes, with the same voice and temperature, and is kept for review if none passes). The change
holds for this version of the row: enqueueing the unchanged script again keeps it; editing the
row in the script drops it (the script wins). The manifest entry shows the voice_1 and temperature
of its audio, and \`override\` with what was changed. A long row sent in parts is made again
part by part, and the new take always replaces the old one.

Options:
  --run NAME        the run
  --id ROW          the row
  --voice V         voice_1 for the new take: a Gemini voice (as voice_1 in a script)
  --temperature T   temperature for the new take: a number in [0, 2]
  -h, --help        this text
`;

const OPTIONS = {
  run: { type: 'string' },
  id: { type: 'string' },
  voice: { type: 'string' },
  temperature: { type: 'string' },
} as const;

export const runRetakeCommand = defineCommand(HELP, { options: OPTIONS }, async (parsed, context) => {
  const { run: runName, id, voice, temperature } = parsed.values;
  if (runName === undefined || id === undefined)
    throw new UsageError(`--run and --id are required\n\n${HELP}`);
  const settings = loadSettings(context.env);
  return withQueue(settings, async (session) => {
    const [run] = await targetRuns(session, runName);
    if (run === undefined) return 2;
    const asked = await retakeRow(session, run, id, settings, { voice, temperature });
    for (const warning of asked.warnings) context.stderr.write(`warning: ${warning}\n`);
    context.stdout.write(`${run}/${id}: a new take is queued (a counted submit); ${keptLine(asked)}\n`);
    return 0;
  });
});

function keptLine(asked: RetakeAsked): string {
  if (!asked.replaces) return 'the better take is kept';
  const changed = Object.entries(asked.override ?? {}).map(([field, value]) => `${field} ${String(value)}`);
  return `made with ${changed.length > 0 ? changed.join(', ') : "the script's voice_1 and temperature"}; the new take replaces the old one`;
}
