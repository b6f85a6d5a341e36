/** The median of some numbers (the mean of the middle two for an even count); `undefined` for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle];
  return ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** A clip's integrated loudness against the median of its run's clips. */
export type LoudnessComparison = {
  /** LU above (positive) or below (negative) the run's median. */
  readonly deviationLu: number;
  readonly ok: boolean;
};

/**
 * Compares `lufs` with `runMedianLufs`: further than `maxDeviationLu` either way is a clip that
 * will stand out when the run's clips are played one after another.
 */
export function compareToRunMedian(
  lufs: number,
  runMedianLufs: number,
  maxDeviationLu: number,
): LoudnessComparison {
  const deviationLu = lufs - runMedianLufs;
  return { deviationLu, ok: Math.abs(deviationLu) <= maxDeviationLu };
}
