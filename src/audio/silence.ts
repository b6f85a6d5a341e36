import {
  DEFAULT_SPEECH,
  findSpeech,
  msToFrames,
  type SpeechOptions,
  type SpeechSpan,
} from './speech-scanner.js';

/** What counts as speech, and how much silence a trimmed clip keeps at each end. */
export type TrimOptions = SpeechOptions & {
  /** Silence kept (or made, with digital zeros) before the first and after the last frame of speech. */
  readonly padMs: number;
};

export const DEFAULT_TRIM: TrimOptions = { ...DEFAULT_SPEECH, padMs: 120 };

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

/** How to cut a clip of `frames` frames so that exactly `padMs` of silence is left at each end of its speech. */
export function planTrimOf(
  speech: SpeechSpan | undefined,
  frames: number,
  sampleRate: number,
  padMs: number,
): TrimPlan {
  if (speech === undefined) return { lead: 0, start: 0, end: frames, tail: 0, frames, speech };
  const pad = msToFrames(padMs, sampleRate);
  const start = Math.max(0, speech.first - pad);
  const end = Math.min(frames, speech.last + 1 + pad);
  const lead = pad - (speech.first - start);
  const tail = pad - (end - speech.last - 1);
  return { lead, start, end, tail, frames: lead + (end - start) + tail, speech };
}

/** `planTrimOf` for a clip in memory. */
export function planTrim(
  pcm: Int16Array,
  sampleRate: number,
  channels = 1,
  options: TrimOptions = DEFAULT_TRIM,
): TrimPlan {
  const frames = Math.floor(pcm.length / channels);
  return planTrimOf(findSpeech(pcm, sampleRate, channels, options), frames, sampleRate, options.padMs);
}
