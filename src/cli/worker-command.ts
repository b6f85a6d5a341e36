import { ConfigError, UsageError } from '../errors.js';
import { makeLogger } from '../log.js';
import { loadSettings } from '../settings.js';
import { runWorker } from '../worker/run-worker.js';
import { defineCommand } from './command-args.js';

const HELP = `Usage: tts-batch worker [--concurrency N]

Processes rows from the queue until stopped. Run as many as you like, on as many machines,
all pointed at the same REDIS_URL; SEGMIND_RPM is shared by all of them.

Options:
  --concurrency N   rows in flight in this process (default: TTS_CONCURRENCY, 16)
  -h, --help        this text

Stopping: the first SIGINT/SIGTERM stops taking rows and waits up to TTS_SHUTDOWN_GRACE_MS
(default 10 s) for rows in flight, then hands the rest back to the queue with their request
ids; a second signal exits at once (those rows return when their locks expire, ~30 s).

Redis: a worker started before Redis waits for it (a line a minute; TTS_REDIS_WAIT_MS bounds
the wait, then exit 1). The API key: when the API refuses it, the queue halts; a key from .env
is read again, so put the right one there (or restart the workers with it), then run
\`npm run resume\`.
`;

const OPTIONS = { concurrency: { type: 'string' } } as const;

export const runWorkerCommand = defineCommand(HELP, { options: OPTIONS }, async ({ values }, context) => {
  const settings = loadSettings(context.env);
  if (settings.segmindApiKey === undefined) {
    throw new ConfigError(
      'SEGMIND_API_KEY',
      'SEGMIND_API_KEY is not set: every request would be refused (401). Set it in the environment or .env (any value for the simulator).',
    );
  }
  let concurrency = settings.concurrency;
  if (values.concurrency !== undefined) {
    concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new UsageError(
        `Expected \`--concurrency\` to be a whole number >= 1, got \`${values.concurrency}\``,
      );
    }
  }
  const logger = makeLogger({ level: settings.logLevel, secrets: [settings.segmindApiKey] });
  await runWorker({
    settings: { ...settings, segmindApiKey: settings.segmindApiKey },
    logger,
    concurrency,
    cwd: context.cwd,
    signal: context.signal,
  });
  logger.flush();
  return 0;
});
