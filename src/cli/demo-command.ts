import { runDemo } from '../demo/run-demo.js';
import { defineCommand } from './command-args.js';

const HELP = `Usage: tts-batch demo

The whole job on embedded defaults, in well under a minute: uses REDIS_URL if set, else a Redis
at TTS_DEMO_REDIS_PROBE (127.0.0.1:6379) if one answers, else starts redis-server from the PATH
(data in .tmp/demo-redis); starts the Segmind simulator in-process; enqueues jobs.example.csv as
run \`demo\` under the key prefix \`<TTS_QUEUE_PREFIX>-demo\` (cleared first); runs a worker with a
live progress bar; writes <TTS_OUT_DIR>/demo/ (WAV files, manifest.json, manifest.csv, replaced
on each run); prints a summary and stops everything it started.
`;

export const runDemoCommand = defineCommand(HELP, {}, (_parsed, context) => runDemo(context));
