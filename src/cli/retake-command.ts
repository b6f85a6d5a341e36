import { UsageError } from '../errors.js';
import { withQueue } from '../queue/queue-session.js';
import { loadSettings } from '../settings.js';
import { retakeRow } from '../status/retake-row.js';
import { targetRuns } from '../status/run-target.js';
import { defineCommand } from './command-args.js';

const HELP = `Usage: tts-batch retake --run NAME --id ROW   (npm run retake -- --run NAME --id ROW)

Asks for a new take of a finished row: a counted submit (reason \`retake\`). The old take is kept
aside until the new one is checked: the better of the two stays the row's audio (the new one when
both pass), and the run's manifests are written again when the row is recorded.
(--voice and --temperature are not supported yet: change them in the script and enqueue again.)

Options:
  --run NAME   the run
  --id ROW     the row
  -h, --help   this text
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
  if (voice !== undefined || temperature !== undefined) {
    throw new UsageError(
      '--voice and --temperature are not supported yet: change them in the script and enqueue it again (a new version of the row)',
    );
  }
  const settings = loadSettings(context.env);
  return withQueue(settings, async (session) => {
    const [run] = await targetRuns(session, runName);
    if (run === undefined) return 2;
    await retakeRow(session, run, id, settings);
    context.stdout.write(`${run}/${id}: a new take is queued (a counted submit); the better take is kept\n`);
    return 0;
  });
});
