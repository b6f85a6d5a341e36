/** A reading of a run: when, and how many of its rows were completed by then. */
export type RateSample = { readonly atMs: number; readonly completedRows: number };

/** Half a minute: what the workers do now, which says more than the average since enqueue. */
export const RATE_WINDOW_MS = 30_000;
/** Shorter spans say too little: a rate from them jumps with every row. */
const MIN_SPAN_MS = 2000;

/** Completed rows per minute across `samples` (oldest first); undefined over less than 2 s. */
export function windowedRate(samples: readonly RateSample[]): number | undefined {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || last.atMs - first.atMs < MIN_SPAN_MS) return undefined;
  return ((last.completedRows - first.completedRows) / (last.atMs - first.atMs)) * 60_000;
}

export type RateWindow = {
  add(sample: RateSample): void;
  /** Forgets every sample: a pause must not count as a slow stretch once rows move again. */
  clear(): void;
  /** Completed rows per minute over the window, or undefined while it spans less than 2 s. */
  rowsPerMinute(): number | undefined;
};

/** The rate of the last `windowMs` of samples. */
export function makeRateWindow(windowMs = RATE_WINDOW_MS): RateWindow {
  let samples: RateSample[] = [];
  return {
    add(sample) {
      samples.push(sample);
      while (samples.length > 2 && (samples[0]?.atMs ?? 0) < sample.atMs - windowMs) samples.shift();
    },
    clear() {
      samples = [];
    },
    rowsPerMinute: () => windowedRate(samples),
  };
}
