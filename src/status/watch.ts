import { setTimeout as delay } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import { makeRateWindow } from './rate-window.js';
import { watchReader } from './reader-gone.js';
import type { QueueState, RunProgress } from './run-progress.js';
import { makeBarDisplay, makePlainDisplay } from './watch-display.js';
import { queueChangeText, queueStateKey, RUNNING, watchFields } from './watch-view.js';

export type WatchOptions = {
  /** Reads the run's current progress; undefined when the run does not exist (yet). */
  readonly read: () => Promise<RunProgress | undefined>;
  /** Reads whether the queue is paused or halted; without it the queue is taken as running. */
  readonly readQueue?: () => Promise<QueueState>;
  readonly out: Writable & { isTTY?: boolean };
  readonly signal: AbortSignal;
  readonly intervalMs?: number;
  readonly nowMs?: () => number;
};

/**
 * Follows one run until it finishes, `signal` fires or the reader of `out` goes away: a live bar
 * on a terminal, otherwise a plain line whenever it changes; the queue pausing, halting (with the
 * reason) and resuming is said above it as it happens. The rate is of completed rows over the last half minute of
 * running: a pause empties the window, so neither the ETA nor the rate counts the paused time.
 * Resolves to the last progress read.
 */
export async function watchRun(options: WatchOptions): Promise<RunProgress | undefined> {
  const { out, signal } = options;
  const nowMs = options.nowMs ?? Date.now;
  const display = out.isTTY ? makeBarDisplay(out) : makePlainDisplay(out);
  const rate = makeRateWindow();
  const reader = watchReader(out);
  let lastState = queueStateKey(RUNNING);
  // After a pause, the average since enqueue counts the paused time: only the window is trusted.
  let sawHold = false;
  let progress: RunProgress | undefined;
  try {
    // Watching is all this does: once the reader has gone (`| head -1`), it stops.
    while (!signal.aborted && !reader.gone()) {
      const [read, queue] = await Promise.all([options.read(), options.readQueue?.() ?? RUNNING]);
      progress = read;
      if (progress) {
        const held = queue.paused || queue.halt !== null;
        if (held) rate.clear();
        else rate.add({ atMs: nowMs(), completedRows: progress.done });
        sawHold ||= held;
        const state = queueStateKey(queue);
        if (state !== lastState) display.note(queueChangeText(queue, nowMs()));
        lastState = state;
        const rowsPerMinute = rate.rowsPerMinute() ?? (sawHold ? undefined : progress.rowsPerMinute);
        display.show(progress, watchFields(progress, queue, rowsPerMinute));
        if (progress.finished) break;
      }
      await delay(options.intervalMs ?? 1000, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    display.stop();
    reader.stop();
  }
  return progress;
}
