import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { SECOND } from '../time.js';

/** How often a non-terminal gets a progress line: a long enqueue shows life, a short one prints none. */
export const PLAIN_PROGRESS_INTERVAL_MS = 10 * SECOND;

export type Progress = {
  /** A new phase (`reading`, `checking`, `adding`) measured against `total` (bytes or rows). */
  readonly start: (phase: string, total: number, unit: string) => void;
  /** `value` against the total; `rows` for the label (defaults to `value`). */
  readonly update: (value: number, rows?: number) => void;
  readonly stop: () => void;
};

export type ProgressOptions = {
  readonly stream: Writable & { isTTY?: boolean };
  readonly nowMs?: () => number;
};

/** A cli-progress bar on a terminal; otherwise a plain line every PLAIN_PROGRESS_INTERVAL_MS. */
export function makeProgress({ stream, nowMs = Date.now }: ProgressOptions): Progress {
  if (stream.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: '{phase} |{bar}| {percentage}% | {rows} {unit}',
        hideCursor: true,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    let running = false;
    let unit = 'rows';
    return {
      start(phase, total, unitName) {
        if (running) bar.stop();
        unit = unitName;
        bar.start(Math.max(total, 1), 0, { phase: phase.padEnd(8), rows: 0, unit });
        running = true;
      },
      update: (value, rows = value) => bar.update(value, { rows, unit }),
      stop() {
        if (running) bar.stop();
        running = false;
      },
    };
  }
  let phase = '';
  let total = 0;
  let unit = 'rows';
  let lastMs = 0;
  return {
    start(name, totalValue, unitName) {
      phase = name;
      total = totalValue;
      unit = unitName;
      lastMs = nowMs();
    },
    update(value, rows = value) {
      const now = nowMs();
      if (now - lastMs < PLAIN_PROGRESS_INTERVAL_MS) return;
      lastMs = now;
      const percent = total > 0 ? ` (${Math.floor((value / total) * 100)}%)` : '';
      stream.write(`enqueue: ${phase} ${rows.toLocaleString('en-US')} ${unit}${percent}\n`);
    },
    stop() {},
  };
}
