/**
 * Every limit the clip checks apply, in one table. Override any of them with the
 * `TTS_QA_THRESHOLDS` setting, a JSON object of the fields to change
 * (`TTS_QA_THRESHOLDS='{"maxInnerSilenceS":3}'`); fields not named keep these defaults.
 */
export type QaThresholds = {
  /** A clip with fewer seconds of samples than this is `empty`. */
  readonly minDurationS: number;
  /** A sample at or above this level (dBFS) is sound; below it, silence. */
  readonly silenceDbfs: number;
  /** Speech starts (ends) where at least half of this many ms are sound (the speech scanner's hold). */
  readonly speechHoldMs: number;
  /** The speaking rate, in speech-weighted characters a second, when none was learned yet. */
  readonly priorCharsPerSecond: number;
  /** `truncated` when the speech lasts less than expected × this − `durationSlackS`. */
  readonly minDurationRatio: number;
  /** `too_long` when the speech lasts more than expected × this + `durationSlackS`. */
  readonly maxDurationRatio: number;
  /** Seconds of leeway on either side of the expected duration (short texts vary most). */
  readonly durationSlackS: number;
  /** `leading_silence` when the speech starts later than this many seconds into the clip. */
  readonly maxLeadingSilenceS: number;
  /** `trailing_silence` when more than this many seconds follow the speech. */
  readonly maxTrailingSilenceS: number;
  /** `inner_silence` when a silence inside the speech lasts longer than this (a stall). */
  readonly maxInnerSilenceS: number;
  /** The end is looked at in the last this many ms: speech reaching into it and... */
  readonly endWindowMs: number;
  /** ...a final 10 ms no more than this many dB below the speech's level is an `abrupt_end`. */
  readonly abruptEndDb: number;
  /** A sample whose magnitude is at least this (of 32767) is at full scale. */
  readonly clipLevel: number;
  /** Consecutive full-scale samples that make one clipping run. */
  readonly clipRunSamples: number;
  /** `clipping` when the clip has more runs than this. */
  readonly maxClipRuns: number;
  /** `loudness` when the integrated loudness is further than this many LU from the run's median. */
  readonly maxLoudnessDeviationLu: number;
};

export const DEFAULT_QA_THRESHOLDS = {
  minDurationS: 0.1,
  silenceDbfs: -45,
  speechHoldMs: 20,
  priorCharsPerSecond: 15,
  minDurationRatio: 0.6,
  maxDurationRatio: 1.7,
  durationSlackS: 0.35,
  maxLeadingSilenceS: 1,
  maxTrailingSilenceS: 2,
  maxInnerSilenceS: 2,
  endWindowMs: 100,
  abruptEndDb: 20,
  clipLevel: 32767,
  clipRunSamples: 3,
  maxClipRuns: 2,
  maxLoudnessDeviationLu: 6,
} as const satisfies QaThresholds;

type Field = keyof QaThresholds;

/** What each field may be: every one is a finite number, most of them >= 0. */
const MAY_BE_NEGATIVE: ReadonlySet<Field> = new Set(['silenceDbfs']);
const POSITIVE: ReadonlySet<Field> = new Set([
  'priorCharsPerSecond',
  'maxDurationRatio',
  'endWindowMs',
  'clipRunSamples',
]);

/** `DEFAULT_QA_THRESHOLDS` with `overrides`, each checked (unknown names and bad values are refused). */
export function qaThresholds(overrides: Readonly<Record<string, unknown>> = {}): QaThresholds {
  const resolved: Record<string, number> = { ...DEFAULT_QA_THRESHOLDS };
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in DEFAULT_QA_THRESHOLDS)) {
      const known = Object.keys(DEFAULT_QA_THRESHOLDS).join(', ');
      throw new RangeError(`Unknown QA threshold \`${name}\`; known: ${known}`);
    }
    const field = name as Field;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (MAY_BE_NEGATIVE.has(field) || value >= 0) &&
      (!POSITIVE.has(field) || value > 0) &&
      (field !== 'silenceDbfs' || value <= 0);
    if (!ok) {
      const what =
        field === 'silenceDbfs'
          ? 'a finite number <= 0'
          : POSITIVE.has(field)
            ? 'a number > 0'
            : 'a number >= 0';
      throw new RangeError(`Expected QA threshold \`${name}\` to be ${what}, got \`${String(value)}\``);
    }
    resolved[name] = value;
  }
  return resolved as QaThresholds;
}

/** The `TTS_QA_THRESHOLDS` setting: a JSON object of overrides, or nothing for the defaults. */
export function parseQaThresholds(json: string | undefined): QaThresholds {
  if (json === undefined || json.trim() === '') return qaThresholds();
  let parsed: unknown;
  try {
    parsed = JSON.parse(json) as unknown;
  } catch {
    throw new RangeError(`Expected \`TTS_QA_THRESHOLDS\` to be a JSON object, got \`${json}\``);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RangeError(`Expected \`TTS_QA_THRESHOLDS\` to be a JSON object, got \`${json}\``);
  }
  return qaThresholds(parsed as Record<string, unknown>);
}
