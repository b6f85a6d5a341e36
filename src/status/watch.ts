import { setTimeout as delay } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { formatDurationS } from './render.js';
import type { RunProgress } from './run-progress.js';

export type WatchOptions = {
  /** Reads the run's current progress; undefined when the run does not exist (yet). */
  readonly read: () => Promise<RunProgress | undefined>;
  readonly out: Writable & { isTTY?: boolean };
  readonly signal: AbortSignal;
  readonly intervalMs?: number;
  readonly nowMs?: () => number;
};

type Sample = { readonly atMs: number; readonly finishedRows: number };
const RATE_WINDOW_MS = 30_000;

/**
 * Rows per minute over the last half minute of samples: what the workers do now, which says
 * more about the ETA than the average since enqueue when workers came and went.
 */
export function windowedRate(samples: readonly Sample[]): number | undefined {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || last.atMs - first.atMs < 2000) return undefined;
  return ((last.finishedRows - first.finishedRows) / (last.atMs - first.atMs)) * 60_000;
}

function etaText(progress: RunProgress, rowsPerMinute: number): string {
  if (progress.finished) return 'done';
  if (progress.scheduled > 0 && progress.scheduledAt) return `at ${progress.scheduledAt}`;
  const remaining = progress.rows - progress.done - progress.failed;
  return rowsPerMinute > 0 ? formatDurationS((remaining / rowsPerMinute) * 60) : '?';
}

/**
 * Follows one run until it finishes or `signal` fires: a live bar on a terminal, otherwise a
 * plain line whenever the counts change. Resolves to the last progress read.
 */
export async function watchRun(options: WatchOptions): Promise<RunProgress | undefined> {
  const { out, signal } = options;
  const nowMs = options.nowMs ?? Date.now;
  const intervalMs = options.intervalMs ?? 1000;
  const samples: Sample[] = [];
  const bar = out.isTTY
    ? new cliProgress.SingleBar(
        {
          stream: out,
          hideCursor: true,
          format:
            '{bar} {percentage}% | {value}/{total} rows | failed {failed} | in flight {inFlight} | {audio} min audio | ETA {eta}',
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  let lastLine = '';
  let progress: RunProgress | undefined;
  try {
    while (!signal.aborted) {
      progress = await options.read();
      if (progress) {
        const finishedRows = progress.done + progress.failed;
        samples.push({ atMs: nowMs(), finishedRows });
        while (samples.length > 2 && (samples[0]?.atMs ?? 0) < nowMs() - RATE_WINDOW_MS) samples.shift();
        const payload = {
          failed: progress.failed,
          inFlight: progress.inFlight,
          audio: progress.audioMinutes.toFixed(2),
          eta: etaText(progress, windowedRate(samples) ?? progress.rowsPerMinute),
        };
        if (bar) {
          if (!started) bar.start(progress.rows, finishedRows, payload);
          else bar.setTotal(progress.rows);
          bar.update(finishedRows, payload);
          started = true;
        } else {
          const line = `${progress.run}: ${finishedRows}/${progress.rows} rows (failed ${payload.failed}, in flight ${payload.inFlight}, waiting ${progress.waiting}), ${payload.audio} min audio, ETA ${payload.eta}\n`;
          if (line !== lastLine) out.write(line);
          lastLine = line;
        }
        if (progress.finished) break;
      }
      await delay(intervalMs, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    if (started) bar?.stop();
  }
  return progress;
}
