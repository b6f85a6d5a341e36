import type { Worker } from 'bullmq';
import type { Logger } from '../log.js';
import { SECOND } from '../time.js';

/** What the watchdog needs of a BullMQ worker. */
export type WatchedWorker = Pick<Worker, 'isRunning' | 'isPaused' | 'run' | 'closing' | 'emit'>;

export type WorkerWatchdogOptions = {
  readonly worker: WatchedWorker;
  /** Whether Redis answers now (the worker's own connection is ready). */
  readonly redisReady: () => boolean;
  readonly logger: Logger;
  /** How often the worker is looked at; default 15 s. */
  readonly everyMs?: number;
};

/**
 * BullMQ users report workers whose main loop ended after a Redis failover or outage and that
 * then sit idle for good, though Redis is back. Every `everyMs`, a worker that is neither
 * running, paused nor closing while Redis answers is started again (`worker.run()`), with a line
 * saying so. Returns the function that stops watching.
 */
export function watchWorker(options: WorkerWatchdogOptions): () => void {
  const { worker, logger } = options;
  const check = () => {
    if (worker.isRunning() || worker.isPaused() || worker.closing !== undefined || !options.redisReady())
      return;
    logger.warn(
      { event: 'worker_restarted' },
      'the worker had stopped taking rows while Redis answers: started it again',
    );
    worker.run().catch((error: unknown) => worker.emit('error', error as Error));
  };
  const timer = setInterval(check, options.everyMs ?? 15 * SECOND);
  timer.unref();
  return () => clearInterval(timer);
}
