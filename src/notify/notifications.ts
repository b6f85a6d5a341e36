import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { globalKeys } from '../queue/keys.js';
import type { Settings } from '../settings.js';
import { makeNotifyWorker } from './notify-worker.js';
import { makeRunNotifier, type RunNotifier } from './notify-queue.js';
import { runHeldEvent } from './run-event.js';

/** The runs a halt is told to (the newest ones with rows still to do). */
const HALTED_RUNS_CHECKED = 50;

/** A worker process's part in run events: raising them, and delivering everyone's. */
export type Notifications = {
  readonly notifier: RunNotifier;
  /** After the fleet's halt is written: the first worker to halt in this episode raises `run.halted` for each unfinished run. */
  halted(reason: string, nowMs: number): Promise<void>;
  close(): Promise<void>;
};

export type NotificationsOptions = {
  readonly settings: Pick<
    Settings,
    'notifyUrl' | 'notifySecret' | 'notifyCommand' | 'queuePrefix' | 'lockDurationMs'
  >;
  readonly logger: Logger;
  /** For raising events and reading runs. */
  readonly redis: Redis | Cluster;
  /** For the notify worker (BullMQ duplicates it for blocking). */
  readonly connection: Redis | Cluster;
};

/** Nothing is queued and no notify worker runs unless `TTS_NOTIFY_URL` or `TTS_NOTIFY_CMD` is set. */
export function startNotifications(options: NotificationsOptions): Notifications {
  const { settings, logger, redis } = options;
  const prefix = settings.queuePrefix;
  const enabled = settings.notifyUrl !== undefined || settings.notifyCommand !== undefined;
  const notifier = makeRunNotifier({ redis, prefix, enabled, logger });
  const worker = enabled
    ? makeNotifyWorker({
        connection: options.connection,
        prefix,
        url: settings.notifyUrl,
        secret: settings.notifySecret,
        command: settings.notifyCommand,
        logger,
        lockDurationMs: settings.lockDurationMs,
      })
    : undefined;
  return {
    notifier,
    async halted(reason, nowMs) {
      if (!enabled) return;
      const keys = globalKeys(prefix);
      try {
        // One worker per halt (until `resume` deletes the hash): its time names the episode.
        const episode = String(nowMs);
        if ((await redis.hsetnx(keys.halt, 'notified', episode)) !== 1) return;
        const runs = await redis.zrange(keys.runs, String(-HALTED_RUNS_CHECKED), '-1');
        for (const run of runs) {
          const event = await runHeldEvent('run.halted', { redis, prefix, run, reason, episode, nowMs });
          if (event.data.pending > 0) await notifier.raise(event);
        }
      } catch (error) {
        logger.warn(
          { event: 'notify_halt_failed', err: (error as Error).message },
          'could not raise run.halted',
        );
      }
    },
    async close() {
      await worker?.close();
      await notifier.close();
    },
  };
}
