import { Worker, type Job } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { deliverWebhook } from './deliver-webhook.js';
import { NOTIFY_QUEUE, type NotifyJobData } from './notify-queue.js';
import { runNotifyCommand } from './run-command.js';

export type NotifyWorkerOptions = {
  /** BullMQ duplicates it for its blocking connection. */
  readonly connection: Redis | Cluster;
  readonly prefix: string;
  readonly url: string | undefined;
  readonly secret: string | undefined;
  readonly command: string | undefined;
  readonly logger: Logger;
  /** A killed worker's delivery is taken over after about this long. */
  readonly lockDurationMs: number;
  /** What the command inherits, secrets withheld; default the worker's environment. */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof globalThis.fetch;
  readonly now?: () => number;
};

/**
 * Delivers run events in the worker process, on a queue of its own (a slow or failing receiver
 * never holds up a row): the webhook first, then the command, each marked done in the job as it
 * succeeds, so that a retry repeats only what failed.
 */
export function makeNotifyWorker(options: NotifyWorkerOptions): Worker<NotifyJobData> {
  const { url, secret, command, logger } = options;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const processor = async (job: Job<NotifyJobData>) => {
    const { event } = job.data;
    let done = job.data.done;
    const log = logger.child({
      notify: event.id,
      type: event.type,
      run: event.data.run,
      attempt: job.attemptsMade + 1,
    });
    if (url !== undefined && done.webhook !== true) {
      const status = await deliverWebhook(event, { url, secret, fetch: fetchImpl, now });
      done = { ...done, webhook: true };
      await job.updateData({ event, done });
      log.info({ event: 'notify_delivered', status }, 'run event delivered to the webhook');
    }
    if (command !== undefined && done.command !== true) {
      await runNotifyCommand(command, event, options.baseEnv ?? process.env);
      done = { ...done, command: true };
      await job.updateData({ event, done });
      log.info({ event: 'notify_command_ran' }, 'TTS_NOTIFY_CMD ran for the run event');
    }
  };
  const worker = new Worker<NotifyJobData>(NOTIFY_QUEUE, processor, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: 4,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.lockDurationMs,
    // A delivery taken over from a killed worker is not a failure of the event.
    maxStalledCount: 100,
  });
  worker.on('failed', (job, error) => {
    if (!job) return;
    const last = job.attemptsMade >= (job.opts.attempts ?? 1);
    logger[last ? 'error' : 'warn'](
      {
        event: last ? 'notify_gave_up' : 'notify_retry',
        notify: job.id,
        type: job.data.event.type,
        reason: error.message,
      },
      last ? 'run event not delivered after its last attempt' : 'run event not delivered: tried again later',
    );
  });
  worker.on('error', (error) =>
    logger.warn({ event: 'notify_worker_error', err: error.message }, 'notify worker error'),
  );
  return worker;
}
