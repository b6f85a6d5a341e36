import { setTimeout as delay } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import { watchReader } from './reader-gone.js';
import { formatQueueState, formatRunTable } from './render.js';
import type { QueueState, RunProgress } from './run-progress.js';

export type WatchTableOptions = {
  readonly read: () => Promise<RunProgress[]>;
  readonly readQueue: () => Promise<QueueState>;
  readonly out: Writable & { isTTY?: boolean };
  readonly signal: AbortSignal;
  readonly intervalMs?: number;
};

/**
 * Every run's line, with the queue's state above it (paused, halted and why), redrawn until
 * every run is finished, `signal` fires or the reader of `out` goes away (on a terminal the
 * screen is cleared each time).
 */
export async function watchRunTable(options: WatchTableOptions): Promise<void> {
  const { out, signal } = options;
  const reader = watchReader(out);
  try {
    while (!signal.aborted && !reader.gone()) {
      const [runs, queue] = await Promise.all([options.read(), options.readQueue()]);
      if (out.isTTY) out.write('\x1b[H\x1b[2J');
      out.write(formatQueueState(queue) + formatRunTable(runs, queue));
      if (runs.every((p) => p.finished)) return;
      await delay(options.intervalMs ?? 2000, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    reader.stop();
  }
}
