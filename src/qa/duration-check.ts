import { speechWeight } from '../book/speech-weight.js';
import type { QaThresholds } from './thresholds.js';

/** How long a clip's speech lasts against what its text should take. */
export type DurationCheck = {
  /** Seconds the text should take at `charsPerSecond` speech-weighted characters a second. */
  readonly expectedS: number;
  /** Speech seconds over expected seconds. */
  readonly ratio: number;
  readonly problem: 'truncated' | 'too_long' | undefined;
};

/** Seconds `text` should take to say at `charsPerSecond` (its speech weight: CJK counts three). */
export function expectedSpeechS(text: string, charsPerSecond: number): number {
  return speechWeight(text) / charsPerSecond;
}

/**
 * Too short (`truncated`: text cut off or skipped) or too long (`too_long`: a stall, a repetition,
 * a runaway generation), each with `durationSlackS` of leeway for the short texts that vary most.
 */
export function checkDuration(
  speechS: number,
  text: string,
  charsPerSecond: number,
  thresholds: QaThresholds,
): DurationCheck {
  const expectedS = expectedSpeechS(text, charsPerSecond);
  const ratio = expectedS > 0 ? speechS / expectedS : Number.POSITIVE_INFINITY;
  const { minDurationRatio, maxDurationRatio, durationSlackS } = thresholds;
  let problem: DurationCheck['problem'];
  if (speechS < expectedS * minDurationRatio - durationSlackS) problem = 'truncated';
  else if (speechS > expectedS * maxDurationRatio + durationSlackS) problem = 'too_long';
  return { expectedS, ratio, problem };
}
