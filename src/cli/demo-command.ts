import { runDemoBook } from '../demo/run-demo-book.js';
import { PLAIN_DEMO, runDemo } from '../demo/run-demo.js';
import { defineCommand } from './command-args.js';

const HELP = `Usage: tts-batch demo [--book]

The whole job on embedded defaults, in well under a minute: uses REDIS_URL if set, else a Redis
at TTS_DEMO_REDIS_PROBE (127.0.0.1:6379) if one answers, else starts redis-server from the PATH
(data in .tmp/demo-redis); starts the Segmind simulator in-process; enqueues jobs.example.csv as
run \`demo\` under the key prefix \`<TTS_QUEUE_PREFIX>-demo\` (cleared first); runs a worker with a
live progress bar; writes <TTS_OUT_DIR>/demo/ (WAV files, manifest.json, manifest.csv, replaced
on each run); prints a summary and stops everything it started.

Options:
  --book   the book instead: examples/demo-book.md (three chapters of Aesop's fables, public
           domain) as run \`demo-book\`; waits until the worker has assembled it and leaves in
           <TTS_OUT_DIR>/demo-book/ the chapters (chapters/), demo-book.m4b (when an ffmpeg is
           found: TTS_FFMPEG, the PATH or the optional npm package; else the command that makes
           it), chapters.json, demo-book.srt and demo-book.vtt, with the rows' audio and manifests
`;

export const runDemoCommand = defineCommand(
  HELP,
  { options: { book: { type: 'boolean' } } },
  (parsed, context) => (parsed.values.book === true ? runDemoBook(context) : runDemo(context, PLAIN_DEMO)),
);
