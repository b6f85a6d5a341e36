import { Queue, type JobsOptions } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { RunEvent } from './run-event.js';

/** The BullMQ queue of run events to deliver (webhook, command), processed by worker processes. */
export const NOTIFY_QUEUE = 'notify';

/** A notify job: the event, and which of its deliveries are done (a retry does not repeat them). */
export type NotifyJobData = {
  readonly event: RunEvent;
  readonly done: { readonly webhook?: true; readonly command?: true };
};

const DAY_S = 24 * 60 * 60;

/**
 * Retried with exponential backoff (1 s, 2 s, 4 s ... about 68 minutes in all); kept after
 * completion for 7 days, so that the same event raised again (by a second finisher, or after a
 * worker was killed) finds its id taken and is not queued again.
 */
export const NOTIFY_JOB_OPTIONS = {
  attempts: 13,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 7 * DAY_S },
  removeOnFail: { age: 30 * DAY_S },
} as const satisfies JobsOptions;

/** Raises run events. Without `TTS_NOTIFY_URL` or `TTS_NOTIFY_CMD`, raising does nothing. */
export type RunNotifier = {
  /** Whether anything receives events (`TTS_NOTIFY_URL` or `TTS_NOTIFY_CMD` set). */
  readonly enabled: boolean;
  /** Queues the event once (its id is the job's id); never throws: a lost event is logged, the row goes on. */
  raise(event: RunEvent): Promise<void>;
  close(): Promise<void>;
};

export type RunNotifierOptions = {
  readonly redis: Redis | Cluster;
  readonly prefix: string;
  /** Whether anything is configured to receive events. */
  readonly enabled: boolean;
  readonly logger: Logger;
};

export function makeRunNotifier(options: RunNotifierOptions): RunNotifier {
  const { redis, prefix, logger, enabled } = options;
  let queue: Queue<NotifyJobData> | undefined;
  return {
    enabled,
    async raise(event) {
      if (!enabled) return;
      queue ??= new Queue<NotifyJobData>(NOTIFY_QUEUE, { connection: redis, prefix });
      try {
        await queue.add(event.type, { event, done: {} }, { ...NOTIFY_JOB_OPTIONS, jobId: event.id });
        logger.info(
          { event: 'notify_raised', type: event.type, id: event.id, run: event.data.run },
          'run event raised',
        );
      } catch (error) {
        logger.warn(
          {
            event: 'notify_raise_failed',
            type: event.type,
            run: event.data.run,
            err: (error as Error).message,
          },
          'could not queue the run event',
        );
      }
    },
    async close() {
      await queue?.close();
    },
  };
}
