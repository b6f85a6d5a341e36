/** Runs of samples at full scale: what a clipped (overdriven) clip is made of. */
export type ClippingStats = {
  /** Runs of at least the given length. */
  readonly runs: number;
  /** Samples in those runs. */
  readonly samples: number;
};

export type ClippingScanner = {
  /** Interleaved 16-bit samples, whole frames (each channel's runs counted on their own). */
  feed(pcm: Int16Array): void;
  finish(): ClippingStats;
};

/** Counts runs of at least `runSamples` consecutive samples with a magnitude of `level` or more. */
export function makeClippingScanner(channels: number, level: number, runSamples: number): ClippingScanner {
  const current = new Float64Array(channels);
  let channel = 0;
  let runs = 0;
  let samples = 0;
  const close = (length: number): void => {
    if (length < runSamples) return;
    runs += 1;
    samples += length;
  };
  return {
    feed(pcm) {
      for (let at = 0; at < pcm.length; at += 1) {
        const value = pcm[at] ?? 0;
        if (value >= level || value <= -level) current[channel] = (current[channel] ?? 0) + 1;
        else if ((current[channel] ?? 0) > 0) {
          close(current[channel] ?? 0);
          current[channel] = 0;
        }
        channel = channel + 1 === channels ? 0 : channel + 1;
      }
    },
    finish() {
      for (const length of current) close(length);
      current.fill(0);
      return { runs, samples };
    },
  };
}
