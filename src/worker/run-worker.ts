import { join } from 'node:path';
import { addLoggerSecret, type Logger } from '../log.js';
import { describeRedis } from '../redis/redis-target.js';
import type { Settings } from '../settings.js';
import { makeApiKeySource } from './api-key.js';
import { makeRowWorker } from './make-worker.js';
import { preflightRedis } from './preflight.js';
import { waitForRedis } from './redis-wait.js';

export type RunWorkerOptions = {
  readonly settings: Settings & { readonly segmindApiKey: string };
  readonly logger: Logger;
  readonly concurrency: number;
  /** The working directory: its `.env` is where a new API key may be written. */
  readonly cwd: string;
  /** Stopping (SIGINT/SIGTERM): finish or hand back the rows in flight, then resolve. */
  readonly signal: AbortSignal;
};

/**
 * A worker process's life: wait for Redis (`TTS_REDIS_WAIT_MS`), check its configuration, take
 * rows until `signal`, then stop within the grace period.
 */
export async function runWorker(options: RunWorkerOptions): Promise<void> {
  const { settings, logger, signal } = options;
  const redis = await waitForRedis({
    target: settings,
    waitMs: settings.redisWaitMs,
    logger,
    signal,
  });
  if (redis === undefined) {
    logger.info({ event: 'worker_stopped' }, 'worker stopped before Redis answered');
    return;
  }
  try {
    await preflightRedis(redis, settings, logger);
  } finally {
    redis.disconnect();
  }
  const rowWorker = makeRowWorker({
    settings,
    logger,
    concurrency: options.concurrency,
    apiKeys: makeApiKeySource({
      key: settings.segmindApiKey,
      dotEnvPath: join(options.cwd, '.env'),
      onNewKey: (key) => addLoggerSecret(logger, key),
    }),
  });
  logger.info(
    {
      event: 'worker_started',
      concurrency: options.concurrency,
      rpm: settings.segmindRpm,
      queuePrefix: settings.queuePrefix,
      redis: describeRedis(settings),
    },
    'worker started',
  );
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  logger.info({ event: 'worker_stopping' }, 'worker stopping: finishing or handing back rows in flight');
  await rowWorker.stop();
  logger.info({ event: 'worker_stopped' }, 'worker stopped');
}
