/** Why a clip failed its checks, in the order the checks run. */
export const QA_REASONS = [
  /** Not 16-bit integer PCM at the expected rate and channels, or not readable as audio at all. */
  'format',
  /** Fewer samples than `minDurationS` (audio returned as success with nothing in it). */
  'empty',
  /** Every sample is zero. */
  'silent',
  /** Every sample has one value other than zero. */
  'constant',
  /** Samples, but nothing reaching the silence level long enough to be speech. */
  'no_speech',
  'truncated',
  'too_long',
  'leading_silence',
  'trailing_silence',
  'inner_silence',
  'abrupt_end',
  'clipping',
  'loudness',
] as const;
export type QaReason = (typeof QA_REASONS)[number];

/**
 * What was measured on a clip, as the manifest entry's `qa` carries it. Seconds and decibels
 * are rounded to milliseconds and hundredths; `null` where a value does not exist (no speech,
 * a loudness under the gate, no run median yet, an unreadable file).
 */
export type QaMeasured = {
  readonly sample_rate: number | null;
  readonly channels: number | null;
  readonly duration_s: number;
  readonly peak_dbfs: number | null;
  /** From the first to the last frame of speech. */
  readonly speech_s: number | null;
  /** What the text should take at `chars_per_second`. */
  readonly expected_s: number;
  readonly chars_per_second: number;
  readonly duration_ratio: number | null;
  readonly leading_silence_s: number | null;
  readonly trailing_silence_s: number | null;
  readonly longest_inner_silence_s: number;
  readonly speech_dbfs: number | null;
  /** RMS of the last 10 ms. */
  readonly final_dbfs: number | null;
  readonly clipped_runs: number;
  readonly clipped_samples: number;
  /** BS.1770-4 integrated loudness. */
  readonly integrated_lufs: number | null;
  readonly run_median_lufs: number | null;
  /** Why the file could not be read, when it could not. */
  readonly error?: string;
};

export type ClipQa = {
  readonly verdict: 'pass' | 'fail';
  readonly reasons: readonly QaReason[];
  readonly measured: QaMeasured;
};

export function roundTo(value: number, places: number): number {
  const scale = 10 ** places;
  return Math.round(value * scale) / scale;
}

/** A finite value rounded, or `null` (JSON has no infinities). */
export function finiteOrNull(value: number | undefined, places: number): number | null {
  return value === undefined || !Number.isFinite(value) ? null : roundTo(value, places);
}
