/** What counts as speech, and how much silence a trimmed clip keeps at each end. */
export type TrimOptions = {
  /** A sample at or above this level (dBFS, against 32768) is loud. */
  readonly thresholdDbfs: number;
  /**
   * Speech starts (ends) at a loud frame followed (preceded) within this many ms by at least as
   * many loud frames as half of it: a click of a few ms is not speech, a tone or a voice is.
   */
  readonly holdMs: number;
  /** Silence kept (or made, with digital zeros) before the first and after the last frame of speech. */
  readonly padMs: number;
};

export const DEFAULT_TRIM: TrimOptions = { thresholdDbfs: -50, holdMs: 20, padMs: 120 };

/** `DEFAULT_TRIM` with `overrides`, each checked: a finite level <= 0 dBFS, lengths >= 0 ms. */
export function trimOptions(overrides: Partial<TrimOptions> = {}): TrimOptions {
  const options = { ...DEFAULT_TRIM, ...overrides };
  if (!Number.isFinite(options.thresholdDbfs) || options.thresholdDbfs > 0) {
    throw new RangeError(
      `Expected \`thresholdDbfs\` to be a finite number <= 0, got \`${options.thresholdDbfs}\``,
    );
  }
  for (const name of ['holdMs', 'padMs'] as const) {
    if (!Number.isFinite(options[name]) || options[name] < 0) {
      throw new RangeError(`Expected \`${name}\` to be a finite number >= 0, got \`${options[name]}\``);
    }
  }
  return options;
}

/** Frame indices of the first and last frame of speech (inclusive). */
export type SpeechSpan = { readonly first: number; readonly last: number };

/**
 * How a clip is cut: `lead` zero frames, then its frames `[start, end)`, then `tail` zero frames;
 * `frames` is the total. A clip with no speech is kept as it is.
 */
export type TrimPlan = {
  readonly lead: number;
  readonly start: number;
  readonly end: number;
  readonly tail: number;
  readonly frames: number;
  readonly speech: SpeechSpan | undefined;
};

/** The smallest absolute 16-bit sample value at `dbfs`. */
export function thresholdAmplitude(dbfs: number): number {
  return Math.max(1, Math.ceil(32768 * 10 ** (dbfs / 20)));
}

export function msToFrames(ms: number, sampleRate: number): number {
  return Math.round((ms * sampleRate) / 1000);
}

/** Per frame, 1 when any of its channels is loud. */
function loudFrames(pcm: Int16Array, channels: number, amplitude: number): Uint8Array {
  const frames = Math.floor(pcm.length / channels);
  const loud = new Uint8Array(frames);
  for (let frame = 0, at = 0; frame < frames; frame += 1) {
    for (let channel = 0; channel < channels; channel += 1, at += 1) {
      const value = pcm[at] ?? 0;
      if (value >= amplitude || value <= -amplitude) loud[frame] = 1;
    }
  }
  return loud;
}

/** The first loud frame, walking forward (or back), with at least `needed` loud frames among the `hold` frames from it on. */
function firstHeld(loud: Uint8Array, hold: number, needed: number, forward: boolean): number | undefined {
  const n = loud.length;
  const at = (step: number): number => (forward ? step : n - 1 - step);
  let count = 0;
  for (let step = 0; step < Math.min(hold, n); step += 1) count += loud[at(step)] ?? 0;
  for (let step = 0; step < n; step += 1) {
    if (loud[at(step)] === 1 && count >= needed) return at(step);
    count -= loud[at(step)] ?? 0;
    if (step + hold < n) count += loud[at(step + hold)] ?? 0;
  }
  return undefined;
}

/** Where speech starts and ends in interleaved 16-bit PCM, or `undefined` when there is none. */
export function findSpeech(
  pcm: Int16Array,
  sampleRate: number,
  channels = 1,
  options: Pick<TrimOptions, 'thresholdDbfs' | 'holdMs'> = DEFAULT_TRIM,
): SpeechSpan | undefined {
  const loud = loudFrames(pcm, channels, thresholdAmplitude(options.thresholdDbfs));
  const hold = Math.max(1, msToFrames(options.holdMs, sampleRate));
  const needed = Math.ceil(hold / 2);
  const first = firstHeld(loud, hold, needed, true);
  const last = firstHeld(loud, hold, needed, false);
  return first === undefined || last === undefined ? undefined : { first, last };
}

/** How to cut a clip so that exactly `padMs` of silence is left at each end of its speech. */
export function planTrim(
  pcm: Int16Array,
  sampleRate: number,
  channels = 1,
  options: TrimOptions = DEFAULT_TRIM,
): TrimPlan {
  const frames = Math.floor(pcm.length / channels);
  const speech = findSpeech(pcm, sampleRate, channels, options);
  if (speech === undefined) return { lead: 0, start: 0, end: frames, tail: 0, frames, speech };
  const pad = msToFrames(options.padMs, sampleRate);
  const start = Math.max(0, speech.first - pad);
  const end = Math.min(frames, speech.last + 1 + pad);
  const lead = pad - (speech.first - start);
  const tail = pad - (end - speech.last - 1);
  return { lead, start, end, tail, frames: lead + (end - start) + tail, speech };
}
