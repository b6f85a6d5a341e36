import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { RunNotifier } from './notify-queue.js';
import { runFinishedEvent } from './run-event.js';

export type RunFinishedInput = {
  readonly notifier: RunNotifier;
  readonly redis: Redis | Cluster;
  readonly prefix: string;
  readonly run: string;
  readonly outDir: string;
  readonly nowMs: number;
  readonly logger: Logger;
};

/** Raises `run.finished` once the final manifests are written; never throws (the run is finished either way). */
export async function raiseRunFinished(input: RunFinishedInput): Promise<void> {
  if (!input.notifier.enabled) return;
  try {
    await input.notifier.raise(
      await runFinishedEvent(input.redis, input.prefix, input.run, input.outDir, input.nowMs),
    );
  } catch (error) {
    input.logger.warn(
      { event: 'notify_raise_failed', err: (error as Error).message },
      'could not raise run.finished',
    );
  }
}
