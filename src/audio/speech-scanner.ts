/** What counts as speech. */
export type SpeechOptions = {
  /** A sample at or above this level (dBFS, against 32768) is loud. */
  readonly thresholdDbfs: number;
  /**
   * Speech starts (ends) at a loud frame followed (preceded) within this many ms by at least as
   * many loud frames as half of it: a click of a few ms is not speech, a tone or a voice is.
   */
  readonly holdMs: number;
};

export const DEFAULT_SPEECH: SpeechOptions = { thresholdDbfs: -50, holdMs: 20 };

/** Frame indices of the first and last frame of speech (inclusive). */
export type SpeechSpan = { readonly first: number; readonly last: number };

/** The smallest absolute 16-bit sample value at `dbfs`. */
export function thresholdAmplitude(dbfs: number): number {
  return Math.max(1, Math.ceil(32768 * 10 ** (dbfs / 20)));
}

export function msToFrames(ms: number, sampleRate: number): number {
  return Math.round((ms * sampleRate) / 1000);
}

/**
 * Finds where speech starts and ends in PCM fed in order, holding only the last `holdMs` of
 * loudness flags: a clip of any length is scanned in flat memory. Speech starts at a loud frame
 * with at least half of the `holdMs` from it on loud, and ends at a loud frame with at least
 * half of the `holdMs` up to it loud (windows cut short by the clip's ends count what they hold).
 */
export type SpeechScanner = {
  /** Interleaved 16-bit samples, whole frames. */
  feed(pcm: Int16Array): void;
  finish(): SpeechSpan | undefined;
};

export function makeSpeechScanner(
  sampleRate: number,
  channels: number,
  options: SpeechOptions,
): SpeechScanner {
  const amplitude = thresholdAmplitude(options.thresholdDbfs);
  const hold = Math.max(1, msToFrames(options.holdMs, sampleRate));
  const needed = Math.ceil(hold / 2);
  // Loudness of the last `hold` frames, frame f at f % hold, and how many of them are loud.
  const ring = new Uint8Array(hold);
  let count = 0;
  let frames = 0;
  let first: number | undefined;
  let last: number | undefined;
  return {
    feed(pcm) {
      if (pcm.length % channels !== 0) {
        throw new RangeError(`Expected whole frames of ${channels} samples, got ${pcm.length} samples`);
      }
      for (let at = 0; at < pcm.length; frames += 1) {
        let loud = 0;
        for (let channel = 0; channel < channels; channel += 1, at += 1) {
          const value = pcm[at] ?? 0;
          if (value >= amplitude || value <= -amplitude) loud = 1;
        }
        const slot = frames % hold;
        count += loud - (ring[slot] ?? 0);
        ring[slot] = loud;
        if (loud === 1 && count >= needed) last = frames;
        const start = frames - hold + 1;
        if (first === undefined && start >= 0 && ring[start % hold] === 1 && count >= needed) first = start;
      }
    },
    finish() {
      // The windows the clip's end cut short: from each frame not yet a window's start, to the end.
      let left = count;
      for (let start = Math.max(0, frames - hold + 1); first === undefined && start < frames; start += 1) {
        if (ring[start % hold] === 1 && left >= needed) first = start;
        left -= ring[start % hold] ?? 0;
      }
      return first === undefined || last === undefined ? undefined : { first, last };
    },
  };
}

/** Where speech starts and ends in interleaved 16-bit PCM in memory, or `undefined` when there is none. */
export function findSpeech(
  pcm: Int16Array,
  sampleRate: number,
  channels = 1,
  options: SpeechOptions = DEFAULT_SPEECH,
): SpeechSpan | undefined {
  const scanner = makeSpeechScanner(sampleRate, channels, options);
  scanner.feed(pcm.subarray(0, pcm.length - (pcm.length % channels)));
  return scanner.finish();
}
