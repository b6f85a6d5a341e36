import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { runDemo } from '../demo/run-demo.js';
import type { Command } from './context.js';

const HELP = `Usage: tts-batch demo

The whole job on embedded defaults, in well under a minute: uses REDIS_URL if set, else a Redis
at TTS_DEMO_REDIS_PROBE (127.0.0.1:6379) if one answers, else starts redis-server from the PATH
(data in .tmp/demo-redis); starts the Segmind simulator in-process; enqueues jobs.example.csv as
run \`demo\` under the key prefix \`<TTS_QUEUE_PREFIX>-demo\` (cleared first); runs a worker with a
live progress bar; writes <TTS_OUT_DIR>/demo/ (WAV files, manifest.json, manifest.csv, replaced
on each run); prints a summary and stops everything it started.
`;

export const runDemoCommand: Command = async (argv, context) => {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { help: { type: 'boolean', short: 'h' } }, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${HELP}`, { cause: error });
  }
  if (parsed.values.help) {
    context.stdout.write(HELP);
    return 0;
  }
  return runDemo(context);
};
