/** What the format check needs to know of a clip's samples. */
export type SampleStats = {
  readonly frames: number;
  /** Largest magnitude of any sample, 0..32768. */
  readonly peak: number;
  /** Every sample is 0. */
  readonly allZero: boolean;
  /** Every sample has the same value (a DC offset, a stuck converter, or zeros). */
  readonly constant: boolean;
};

export type SampleStatsScanner = {
  /** Interleaved 16-bit samples, whole frames. */
  feed(pcm: Int16Array): void;
  finish(): SampleStats;
};

export function makeSampleStats(channels: number): SampleStatsScanner {
  let samples = 0;
  let min = 0;
  let max = 0;
  return {
    feed(pcm) {
      if (pcm.length === 0) return;
      if (samples === 0) min = max = pcm[0] ?? 0;
      for (let at = 0; at < pcm.length; at += 1) {
        const value = pcm[at] ?? 0;
        if (value < min) min = value;
        else if (value > max) max = value;
      }
      samples += pcm.length;
    },
    finish() {
      return {
        frames: Math.floor(samples / channels),
        peak: Math.max(Math.abs(min), Math.abs(max)),
        allZero: min === 0 && max === 0,
        constant: min === max,
      };
    },
  };
}
