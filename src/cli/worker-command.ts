import { join } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import { addLoggerSecret, makeLogger } from '../log.js';
import { loadSettings } from '../settings.js';
import { makeApiKeySource } from '../worker/api-key.js';
import { makeRowWorker } from '../worker/make-worker.js';
import { preflightRedis } from '../worker/preflight.js';
import { waitForRedis } from '../worker/redis-wait.js';
import { redactUrl } from '../redis/connection.js';
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
  const redis = await waitForRedis({
    redisUrl: settings.redisUrl,
    waitMs: settings.redisWaitMs,
    logger,
    signal: context.signal,
  });
  if (redis === undefined) {
    logger.info({ event: 'worker_stopped' }, 'worker stopped before Redis answered');
    logger.flush();
    return 0;
  }
  try {
    await preflightRedis(redis, settings, logger);
  } finally {
    redis.disconnect();
  }
  const rowWorker = makeRowWorker({
    settings,
    logger,
    concurrency,
    apiKeys: makeApiKeySource({
      key: settings.segmindApiKey,
      dotEnvPath: join(context.cwd, '.env'),
      onNewKey: (key) => addLoggerSecret(logger, key),
    }),
  });
  logger.info(
    {
      event: 'worker_started',
      concurrency,
      rpm: settings.segmindRpm,
      queuePrefix: settings.queuePrefix,
      redis: redactUrl(settings.redisUrl),
    },
    'worker started',
  );
  await new Promise<void>((resolve) => {
    if (context.signal.aborted) resolve();
    context.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  logger.info({ event: 'worker_stopping' }, 'worker stopping: finishing or handing back rows in flight');
  await rowWorker.stop();
  logger.info({ event: 'worker_stopped' }, 'worker stopped');
  logger.flush();
  return 0;
});
