/** How loud a clip's speech is, and how loud its very end. */
export type EndLevel = {
  /** RMS of the 10 ms windows that hold sound, dBFS; `undefined` when none does. */
  readonly speechDbfs: number | undefined;
  /** RMS of the last 10 ms, dBFS (-Infinity for digital silence). */
  readonly finalDbfs: number;
};

export type EndLevelScanner = {
  /** Interleaved 16-bit samples, whole frames. */
  feed(pcm: Int16Array): void;
  finish(): EndLevel;
};

function dbfs(meanSquare: number): number {
  return 10 * Math.log10(meanSquare / 32768 ** 2);
}

/** Measures in 10 ms windows; a window holds sound when a sample in it reaches `amplitude`. */
export function makeEndLevelScanner(
  sampleRate: number,
  channels: number,
  amplitude: number,
): EndLevelScanner {
  const windowSamples = Math.max(1, Math.round(sampleRate / 100)) * channels;
  // The last window's samples, oldest first, and how many of them there are yet.
  const last = new Int16Array(windowSamples);
  let held = 0;
  let windowSum = 0;
  let windowFill = 0;
  let windowLoud = false;
  let speechSum = 0;
  let speechSamples = 0;
  return {
    feed(pcm) {
      for (let at = 0; at < pcm.length; at += 1) {
        const value = pcm[at] ?? 0;
        const square = value * value;
        windowSum += square;
        if (value >= amplitude || value <= -amplitude) windowLoud = true;
        windowFill += 1;
        if (windowFill === windowSamples) {
          if (windowLoud) {
            speechSum += windowSum;
            speechSamples += windowSamples;
          }
          windowSum = 0;
          windowFill = 0;
          windowLoud = false;
        }
      }
      if (pcm.length >= windowSamples) {
        last.set(pcm.subarray(pcm.length - windowSamples));
        held = windowSamples;
      } else {
        const keep = Math.min(held, windowSamples - pcm.length);
        last.copyWithin(0, held - keep, held);
        last.set(pcm, keep);
        held = keep + pcm.length;
      }
    },
    finish() {
      let lastSum = 0;
      for (let at = 0; at < held; at += 1) lastSum += (last[at] ?? 0) ** 2;
      return {
        speechDbfs: speechSamples === 0 ? undefined : dbfs(speechSum / speechSamples),
        finalDbfs: held === 0 ? -Infinity : dbfs(lastSum / held),
      };
    },
  };
}
