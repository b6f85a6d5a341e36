/** The longest stretch of silence with sound on both sides of it. */
export type SilenceRunScanner = {
  /** Interleaved 16-bit samples, whole frames; a frame is silent when every channel is under the level. */
  feed(pcm: Int16Array): void;
  /** Frames in the longest inner silence (0 when there is none). */
  finish(): number;
};

/** Finds the longest run of frames under `amplitude` that is preceded and followed by a frame at or above it. */
export function makeSilenceRunScanner(channels: number, amplitude: number): SilenceRunScanner {
  let heardSound = false;
  let run = 0;
  let longest = 0;
  let channel = 0;
  let loudFrame = false;
  return {
    feed(pcm) {
      for (let at = 0; at < pcm.length; at += 1) {
        const value = pcm[at] ?? 0;
        if (value >= amplitude || value <= -amplitude) loudFrame = true;
        channel += 1;
        if (channel < channels) continue;
        channel = 0;
        if (loudFrame) {
          if (heardSound && run > longest) longest = run;
          heardSound = true;
          run = 0;
          loudFrame = false;
        } else run += 1;
      }
    },
    finish: () => longest,
  };
}
