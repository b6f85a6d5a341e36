import { formatLocalTime } from '../time.js';
import { formatDurationS, formatQueueState, shownTime } from './render.js';
import type { QueueState, RunProgress } from './run-progress.js';

/** What the live view of a run shows besides its counts. */
export type WatchFields = {
  /** `PAUSED | `, `HALTED | ` or empty: the queue's state, first on the line so that it is never cut off. */
  readonly state: string;
  readonly failed: number;
  readonly inFlight: number;
  /** Completed rows per minute, or `--` while unknown. */
  readonly rate: string;
  readonly audio: string;
  /** `done`, `at <time>`, a duration (`8m54s`), or `--` while unknown or while the queue holds. */
  readonly eta: string;
};

export const RUNNING: QueueState = { paused: false, halt: null };

const isHeld = (queue: QueueState) => queue.paused || queue.halt !== null;

/**
 * The ETA: the rows left at the rate of completed rows. While the queue is paused or halted
 * nothing moves, so there is no countdown: `--` until the rows move again.
 */
export function watchEta(
  progress: RunProgress,
  queue: QueueState,
  rowsPerMinute: number | undefined,
): string {
  if (progress.finished) return 'done';
  if (isHeld(queue)) return '--';
  if (progress.scheduled > 0 && progress.scheduledAt) return `at ${shownTime(progress.scheduledAt)}`;
  const remaining = Math.max(progress.rows - progress.done - progress.failed, 0);
  return rowsPerMinute !== undefined && rowsPerMinute > 0
    ? formatDurationS((remaining / rowsPerMinute) * 60)
    : '--';
}

export function watchFields(
  progress: RunProgress,
  queue: QueueState,
  rowsPerMinute: number | undefined,
): WatchFields {
  return {
    state: queue.halt ? 'HALTED | ' : queue.paused ? 'PAUSED | ' : '',
    failed: progress.failed,
    inFlight: progress.inFlight,
    rate: rowsPerMinute === undefined ? '--' : rowsPerMinute.toFixed(1),
    audio: progress.audioMinutes.toFixed(2),
    eta: watchEta(progress, queue, rowsPerMinute),
  };
}

/** Identifies a state of the queue, to say so once when it changes. */
export function queueStateKey(queue: QueueState): string {
  if (queue.halt) return `halted ${queue.halt.at} ${queue.halt.reason}`;
  return queue.paused ? 'paused' : 'running';
}

/** The lines printed above the live view when the queue's state changes to `queue`. */
export function queueChangeText(queue: QueueState, atMs: number): string {
  return isHeld(queue) ? formatQueueState(queue) : `queue resumed at ${formatLocalTime(atMs)}\n`;
}

/** The live view as one plain line (not a terminal: a log, a pipe). */
export function plainWatchLine(progress: RunProgress, fields: WatchFields): string {
  const p = progress;
  return (
    `${fields.state}${p.run}: ${p.done}/${p.rows} done (failed ${fields.failed}, in flight ${fields.inFlight}, ` +
    `waiting ${p.waiting}), ${fields.rate} rows/min, ${fields.audio} min audio, ETA ${fields.eta}\n`
  );
}
